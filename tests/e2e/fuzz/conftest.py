"""The six services as processes for the fuzz tests, credentials of several organisations and roles in
each, and one client of Hango's with a case, a plan and a referral, for hostile requests about another
organisation's records."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from backbone import auth
from contracts.topics import SERVICES
from services.audit.tests.console_support import start_audit
from services.intake.tests.factories import body as registration_body
from tests.support.processes import ServiceProcess

IDENTITIES: dict[str, tuple[str, str]] = {
    "hango": ("hango", "officer"),
    "raseborg": ("raseborg", "officer"),
    "inga": ("inga", "officer"),
    "employment-region": ("employment-region", "officer"),
    "luvn": ("luvn", "officer"),
    "kela-system": ("kela", "system"),
    "raseborg-system": ("raseborg", "system"),
    "operator": ("operator", "operator"),
    "notifications-service": ("notifications", "service"),
    "audit-service": ("audit", "service"),
    "provider": ("provider:mbi-raseborg", "provider"),
}
"""Who calls: name -> (principal, role). Every credential is issued in every service's database."""

PROVIDER = "mbi-raseborg"
"""A course provider of guidance's catalogue (civic orientation, continuous admission)."""
LANGUAGES = ("ar", "sv")
"""The client's languages (civic orientation is given in one the client understands, R21)."""
REGISTRAR = "hango"
"""Registers the client (a quota refugee placed in Hanko)."""
STRANGER = "inga"
"""An organisation with no part in that client (it lives in Hanko; Raseborg may act for Hanko)."""


@dataclass
class Seeded:
    owner: str  # the client's responsible organisation, as intake says
    client_id: UUID
    assessment_id: UUID
    plan_id: UUID
    referral_id: UUID
    service_code: str


async def _issue_all(infra) -> dict[str, dict[str, str]]:
    tokens: dict[str, dict[str, str]] = {}
    now = datetime.now(UTC)
    for service in SERVICES:
        conn = await asyncpg.connect(infra.dsn(service))
        try:
            tokens[service] = {
                name: (await auth.issue(conn, principal=principal, role=role, label="fuzz tests", now=now,
                                        expires_at=now + timedelta(hours=3))).token
                for name, (principal, role) in IDENTITIES.items()}
        finally:
            await conn.close()
    return tokens


@pytest.fixture(scope="package")
def fuzz_services(infra, tmp_path_factory):
    logs = tmp_path_factory.mktemp("fuzz-services")
    started: dict[str, ServiceProcess] = {}
    try:
        for name in SERVICES:
            if name == "audit":
                started[name] = start_audit(infra, logs)
            elif name == "notifications":
                started[name] = _start_notifications(infra, logs, intake_url=started["intake"].url)
            else:
                started[name] = ServiceProcess.start(infra, name, logs)
        for service in started.values():
            service.wait_ready(timeout=180)
        yield started
    finally:
        for service in started.values():
            service.stop(timeout=10)


def _start_notifications(infra, logdir, *, intake_url: str) -> ServiceProcess:
    """Notifications sending to the deployment's own SMTP server and SMS gateway and reading contacts from the
    intake above, so that its sends succeed instead of retrying (each retry is an event, which would make
    the state snapshots move on their own)."""
    env = {"NOTIFICATIONS_INTAKE_URL": intake_url}
    if infra.layout is not None:
        env.update({"NOTIFICATIONS_SMTP_PORT": str(infra.layout.smtp_port),
                    "NOTIFICATIONS_SMS_URL": f"http://{infra.layout.host}:{infra.layout.sms_port}"})
    return ServiceProcess.start(infra, "notifications", logdir, **env)


@pytest.fixture(scope="package")
def tokens(infra, fuzz_services) -> dict[str, dict[str, str]]:
    return asyncio.run(_issue_all(infra))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _until(what: str, attempt, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        result = attempt()
        if result is not None:
            return result
        assert time.monotonic() < deadline, f"{what} not there after {timeout} s"
        time.sleep(0.5)


@pytest.fixture(scope="package")
def seeded(fuzz_services, tokens) -> Seeded:
    return seed({name: proc.url for name, proc in fuzz_services.items()}, tokens)


def seed(url: dict[str, str], tokens: dict[str, dict[str, str]]) -> Seeded:
    """A client of Hango's (a quota refugee: to be assessed), its assessment case, an imported plan and a
    referral to a published catalogue service, each made through the services' own APIs."""
    with httpx.Client(timeout=30) as http:
        resp = http.post(url["intake"] + "/registrations/refugee-placement",
                         json=registration_body("refugee_placement", home_municipality="hango",
                                                person_overrides={"languages": list(LANGUAGES)}),
                         headers=bearer(tokens["intake"][REGISTRAR]))
        assert resp.status_code == 201, resp.text
        client_id = UUID(resp.json()["client_id"])
        summary = http.get(f"{url['intake']}/clients/{client_id}", headers=bearer(tokens["intake"]["operator"]))
        assert summary.status_code == 200, summary.text
        owner = summary.json()["responsible_organisation"]
        assert owner != STRANGER

        def case():
            r = http.get(f"{url['assessment']}/clients/{client_id}/case", headers=bearer(tokens["assessment"][owner]))
            return r.json()["assessment_id"] if r.status_code == 200 else None
        assessment_id = UUID(_until("the assessment case", case))

        services = http.get(url["guidance"] + "/catalogue/services", headers=bearer(tokens["guidance"][owner]))
        assert services.status_code == 200, services.text
        service = next(s for s in services.json() if s["continuous"] and s["provider"] == PROVIDER)
        code = service["code"]
        language = next(lang for lang in service["languages"] if lang in LANGUAGES)

        today = date.today()
        plan_body = {"client_id": str(client_id), "made_on": "2024-06-03", "first_starts_on": "2024-06-10",
                     "starts_on": "2024-06-10", "ends_on": (today + timedelta(days=120)).isoformat(),
                     "reviewed": False, "goals": ["language_skills"], "services": [code],
                     "follow_up": ["review_meetings"], "reasons": ["language_skills_needed"]}

        def plan():
            r = http.post(url["planning"] + "/plans/imports", json=plan_body,
                          headers=bearer(tokens["planning"][owner]))
            assert r.status_code in (201, 403, 404, 409), r.text  # 403/404 until the client reached planning
            return r.json()["plan_id"] if r.status_code == 201 else None
        plan_id = UUID(_until("the imported plan", plan))

        def referral():
            r = http.post(url["guidance"] + "/referrals", headers=bearer(tokens["guidance"][owner]),
                          json={"client_id": str(client_id), "service_code": code, "language": language})
            assert r.status_code in (201, 404), r.text  # 404 until the client and its plan reached guidance
            return r.json()["subject_id"] if r.status_code == 201 else None
        referral_id = UUID(_until("the referral", referral))
    return Seeded(owner, client_id, assessment_id, plan_id, referral_id, code)
