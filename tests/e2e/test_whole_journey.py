"""The whole journey, end to end, with every service as a running process on real Kafka and PostgreSQL: for each
source and each responsible organisation (the employment region's jobseeker, Raseborg's refugee, Hanko's newcomer
served by Raseborg by agreement, an Inkoo resident while Inkoo's agreement is pending and once it is in force, and
a Raseborg resident who asked on the public form, found by Raseborg's officer by the reference the form gave),
one client goes from registration through the interview (its invitation at the SMS gateway, or at the SMTP server
for the client who gave no phone number, and the journey's e-mails, in the client's language), the assessment (LUVN's confirmation where R6 requires it), the
plan, a referral under it, the completed course, a review, an extension and the plan's end, to erasure. Then:
every step is in the shared audit trail in causal order within one correlation, the trail verifies, and nothing
personal about the client is left readable in any service (the keys are shredded).

One System for the module; the five scenarios of the pending agreement walk at once, then intake restarts with
Inkoo's agreement in force (effective-dated data: `INTAKE_INGA_AGREEMENT_STATUS`, `_FROM`) for the sixth.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import subprocess
import sys
import uuid
from datetime import date

import asyncpg
import pytest

from contracts.envelope import Envelope
from deploy.config import REPO
from notifications.domain import language as notification_language
from notifications.domain.offices import office_of, service_points
from notifications.domain.templates import languages_of, template
from tests.support.journey import (Api, Journey, Scenario, eventually, own_request_scenario, standard_scenarios,
                                   walk)
from tests.support.system import System

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

PENDING = {**standard_scenarios(), "raseborg-own-request": own_request_scenario()}
IN_FORCE = standard_scenarios(inga_in_force=True)
SCENARIOS = {**PENDING, **IN_FORCE}
INGA_IN_FORCE = {"INTAKE_INGA_AGREEMENT_STATUS": "in_force", "INTAKE_INGA_AGREEMENT_FROM": "2025-01-01"}

# What each journey leaves in the trail, by the service that wrote it.
EXPECTED = {
    "intake": {"ClientRegistered", "ClientErased"},
    "assessment": {"AssessmentCaseOpened", "InitialInterviewScheduled", "InterpreterBooked", "AssessmentStarted",
                   "ClientInformed", "AssessmentCompleted"},
    "planning": {"PlanOpened", "PlanAgreementRecorded", "PlanIssued", "PlanReviewed", "PlanExtended", "PlanEnded"},
    "guidance": {"ReferralMade", "ReferralAccepted", "ReferralStarted", "ReferralCompleted"},
    "notifications": {"NotificationSent"},
}
SERVICES_WITH_NOTES = ("assessment", "planning", "guidance")


class Observed:
    """What the outside world saw of one journey before its erasure."""

    def __init__(self) -> None:
        self.sms: list[dict] = []
        self.mail: list[dict] = []
        self.plan: dict = {}


def digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def sms_of(system: System, s: Scenario) -> list[dict]:
    return [m for m in system.sms() if digits(m["to"]) == digits(s.person.phone)]


def mail_of(system: System, s: Scenario) -> list[dict]:
    return [m for m in system.mail() if s.person.email in (m["to"] or "")]


async def observe(system: System, api: Api, j: Journey, seen: dict[str, Observed]) -> None:
    """Before the erasure: the invitation (by SMS, or by e-mail to a client without a phone) and the e-mails of the
    plan and the referral have arrived; and the plan as planning shows it."""
    s = j.scenario
    wanted = 3 if s.reachable_by_sms else 4  # plan issued, extended, referral made, accepted (+ the invitation)

    async def arrived() -> Observed | None:
        found = Observed()
        found.sms, found.mail = sms_of(system, s), mail_of(system, s)
        subjects = {m["subject"] for m in found.mail}
        return found if (found.sms or not s.reachable_by_sms) and len(subjects) >= wanted else None

    seen[s.name] = await eventually(arrived, timeout=60, what=f"{s.name}: messages at the gateway and mail server")
    seen[s.name].plan = await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)


@pytest.fixture(scope="module")
async def journeys(system: System) -> dict[str, tuple[Journey, Observed]]:
    api = Api(system)
    seen: dict[str, Observed] = {}
    started = time.monotonic()

    def lap(what: str) -> None:
        log.info("%s after %.1f s", what, time.monotonic() - started)

    try:
        walked = await asyncio.gather(*(walk(system, s, api=api, before_erasure=lambda j: observe(system, api, j, seen))
                                        for s in PENDING.values()))
        lap("five journeys walked")
        await system.settle(timeout=300)  # audit may still be reading what earlier tests published
        lap("settled")
        killed = system.kill("intake")  # a crash, not a shutdown: what intake committed must still be there
        system.restart("intake", env=INGA_IN_FORCE)
        lap("intake restarted with Inkoo's agreement in force")
        await system.settle(timeout=180)  # the agreement moves the earlier Inkoo clients to Raseborg
        lap("settled")
        walked += [await walk(system, s, api=api, before_erasure=lambda j: observe(system, api, j, seen))
                   for s in IN_FORCE.values() if s.name not in PENDING]
        lap("the sixth journey walked")
        await system.settle(timeout=120)
        lap("settled")
    finally:
        await api.close()
    assert killed == -9
    return {j.scenario.name: (j, seen[j.scenario.name]) for j in walked}


async def trail_of(system: System, client_id: uuid.UUID) -> list[Envelope]:
    conn = await asyncpg.connect(system.infra.dsn("audit"))
    try:
        rows = await conn.fetch("SELECT envelope FROM audit_trail WHERE client_id = $1 ORDER BY seq", client_id)
    finally:
        await conn.close()
    return [Envelope.from_bytes(r["envelope"]) for r in rows]


def expected_language(s: Scenario, code: str) -> str:
    return notification_language.choose(list(s.person.languages), s.person.home_municipality,
                                        languages_of(code)).language


def fixed_start(text: str) -> str:
    """A template's words before its first placeholder (what every message of it begins with)."""
    return " ".join(text.split("${")[0].split())


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_the_client_goes_the_whole_way_and_is_responsible_where_the_agreements_say(system, journeys, name):
    j, seen = journeys[name]
    s = j.scenario

    assert j.steps == ["registered", "interview booked", "assessed", "plan issued", "referred", "course completed",
                       "reviewed", "extended", "plan ended", "erased"]
    assert seen.plan["owner"] == s.responsible
    assert seen.plan["luvn_participation"] is s.luvn
    assert [r["service_code"] for r in seen.plan["referrals"]] == ["civic_orientation"]  # R12: under the plan
    assert seen.plan["status"] == "ended"


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_the_invitation_sms_and_the_emails_reach_the_client_in_their_language(system, journeys, name):
    j, seen = journeys[name]
    s = j.scenario

    invitation = template("interview_invitation", s.language)  # every scenario's first language has one
    by_sms = [m["text"] for m in seen.sms if m["text"].startswith(fixed_start(invitation.sms))]
    by_mail = [m["text"] for m in seen.mail if m["subject"].startswith(fixed_start(invitation.subject))]
    # the first channel the client can be reached on: SMS, else e-mail; never both, never twice
    assert (len(by_sms), len(by_mail)) == ((1, 0) if s.reachable_by_sms else (0, 1)), (by_sms, by_mail)
    text = (by_sms + by_mail)[0]
    where = service_points().get(s.place) or invitation.phrases[f"place_{s.place}"]
    assert where in text, "R26: the invitation names the booked place"
    assert office_of(s.person.home_municipality)["cancel_phone"] in text, "R26: and how to cancel"
    if by_mail:
        assert s.person.name in by_mail[0], "the e-mail greets the client by name"
    issued = template("plan_issued", expected_language(s, "plan_issued"))
    subjects = [m["subject"] for m in seen.mail]
    assert any(subject.startswith(fixed_start(issued.subject)) for subject in subjects), subjects
    assert len(subjects) == len(set(m["message_id"] for m in seen.mail))  # none twice


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_every_step_is_in_the_audit_trail_in_causal_order_within_one_correlation(system, journeys, name):
    j, _ = journeys[name]
    s = j.scenario

    trail = await trail_of(system, j.client_id)

    by_producer: dict[str, set[str]] = {}
    for e in trail:
        by_producer.setdefault(e.producer, set()).add(e.type)
    for producer, types in EXPECTED.items():
        wanted = types - ({"InterpreterBooked"} if s.language in ("fi", "sv") else set())
        assert wanted <= by_producer.get(producer, set()), (producer, by_producer.get(producer))
    position = {e.event_id: n for n, e in enumerate(trail)}
    for e in trail:
        if e.causation_id is not None and e.causation_id in position:
            assert position[e.causation_id] < position[e.event_id], (e.type, "recorded before its cause")
    causes = {e.event_id: e.causation_id for e in trail}
    registered = next(e for e in trail if e.type == "ClientRegistered")
    assert registered.event_id == j.registration_event_ids[0]
    assert causes[next(e for e in trail if e.type == "AssessmentCaseOpened").event_id] == registered.event_id
    completed = next(e for e in trail if e.type == "AssessmentCompleted")
    assert causes[next(e for e in trail if e.type == "PlanOpened").event_id] == completed.event_id
    made = next(e for e in trail if e.type == "ReferralMade")
    assert made.payload["plan_id"] == str(j.plan_id)
    invited = next(e for e in trail if e.type == "InitialInterviewScheduled")
    assert any(causes[e.event_id] == invited.event_id for e in trail if e.type == "NotificationSent")
    assert {e.correlation_id for e in trail} == {s.correlation_id}, "one correlation from registration to erasure"


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_after_erasure_no_service_holds_the_person_and_every_key_is_shredded(system, journeys, name):
    j, _ = journeys[name]
    s = j.scenario
    person = s.person
    secrets = (person.name, person.identity_code, person.email, person.phone, person.street,
               person.date_of_birth.isoformat())
    api = Api(system)
    try:
        gone = await api.request("GET", "intake", f"/clients/{j.client_id}/personal-data", s.responsible,
                                 headers={"X-Purpose": "check"})
        assert gone.status_code == 404
        contact = await api.request("GET", "intake", f"/internal/clients/{j.client_id}/contact", "notifications",
                                    "service", headers={"X-Purpose": "check"})
        assert contact.status_code == 404
    finally:
        await api.close()

    for service in ("intake", "assessment", "planning", "guidance", "notifications", "audit"):
        conn = await asyncpg.connect(system.infra.dsn(service))
        try:
            tables = [r["table_name"] for r in await conn.fetch(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'client_id'"
                " AND table_schema = 'public'")]
            for table in tables:
                rows = await conn.fetch(f'SELECT * FROM "{table}" WHERE client_id = $1', j.client_id)  # noqa: S608
                text = " ".join(_readable(v) for r in rows for v in r.values())
                for value in secrets:
                    assert value not in text, (service, table)
            if service == "intake":
                assert await conn.fetchval("SELECT count(*) FROM vault_keys WHERE client_id = $1", j.client_id) == 0
                assert await conn.fetchval("SELECT count(*) FROM vault_erased WHERE client_id = $1", j.client_id) == 1
            if service in SERVICES_WITH_NOTES:
                key = await conn.fetchrow("SELECT wrapped_key, shredded_at FROM client_keys WHERE client_id = $1",
                                          j.client_id)
                assert key is not None, (service, "the journey's note made a key")
                assert key["wrapped_key"] is None and key["shredded_at"] is not None, (service, "key not shredded")
        finally:
            await conn.close()


def _readable(value) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def test_the_trail_verifies_after_the_journeys(system, journeys):
    verify = subprocess.run([sys.executable, "-m", "audit", "verify"], env=system.process("audit").env, cwd=REPO,
                            capture_output=True, text=True, timeout=120)

    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("OK: ")
