"""The walking skeleton: a client registered over intake's HTTP API reaches the shared audit trail
through intake's outbox, its relay and real Kafka, and the trail still verifies."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from backbone import auth
from deploy.config import REPO
from tests.support import pii_scan
from tests.support.people import invent
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

PERSON = invent()  # a new person each run: the test database keeps earlier runs
BODY = {
    "source": "refugee_placement", "home_municipality": "hango", "first_permit_date": "2025-09-01",
    "protection": "quota_refugee", "placed_on": "2025-10-01",
    "person": {**PERSON.personal_data(), "languages": ["uk", "ru"]},
}
SECRETS = (PERSON.name, PERSON.identity_code, PERSON.email, PERSON.phone, PERSON.date_of_birth.isoformat())


@pytest.fixture(scope="module")
def services(infra, tmp_path_factory):
    logs = tmp_path_factory.mktemp("skeleton")
    started = {name: ServiceProcess.start(infra, name, logs) for name in ("intake", "audit")}
    try:
        for service in started.values():
            service.wait_ready()
        yield started
    finally:
        for service in started.values():
            service.stop()


async def _officer(infra, organisation: str) -> str:
    """An officer credential, issued in intake's database as the operator would."""
    conn = await asyncpg.connect(infra.dsn("intake"))
    try:
        issued = await auth.issue(conn, principal=organisation, role="officer", label="e2e tests",
                                  now=datetime.now(UTC))
    finally:
        await conn.close()
    return issued.token


@pytest.fixture(scope="module")
async def hango(infra, services) -> str:
    return await _officer(infra, "hango")


@pytest.fixture(scope="module")
async def raseborg(infra, services) -> str:
    """Raseborg provides Hanko's integration services by agreement, so it reads and erases Hanko's clients."""
    return await _officer(infra, "raseborg")


def _call(method: str, url: str, token: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def _trail_row(infra, event_id: uuid.UUID, timeout: float = 180) -> asyncpg.Record:
    conn = await asyncpg.connect(infra.dsn("audit"))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = await conn.fetchrow("SELECT * FROM audit_trail WHERE event_id = $1", event_id)
            if row is not None:
                return row
            await asyncio.sleep(0.2)
        raise AssertionError(f"event {event_id} did not reach the audit trail in {timeout}s")
    finally:
        await conn.close()


def _verify(services) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit", "verify"], env=services["audit"].env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


async def test_a_registered_client_reaches_the_audit_trail_and_the_trail_verifies(infra, services, hango):
    status, accepted = _call("POST", services["intake"].url + "/registrations/refugee-placement", hango, BODY)
    assert status == 201, accepted

    row = await _trail_row(infra, uuid.UUID(accepted["event_ids"][0]))

    assert (row["type"], row["producer"], row["organisation"]) == ("ClientRegistered", "intake", "hango")
    assert row["client_id"] == uuid.UUID(accepted["client_id"])
    assert row["topic"] == "integration.intake.v1"
    envelope = json.loads(row["envelope"])
    assert envelope["correlation_id"] == accepted["correlation_id"]
    for personal in SECRETS:
        assert personal not in row["envelope"].decode()
    verify = _verify(services)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("OK: ")


async def test_after_erasure_the_vault_cannot_return_the_person_and_the_trail_still_verifies(
        infra, services, hango, raseborg):
    person = invent()
    body = {**BODY, "person": person.personal_data()}
    url = services["intake"].url
    status, accepted = _call("POST", url + "/registrations/refugee-placement", hango, body)
    assert status == 201, accepted
    client_id = accepted["client_id"]
    read = _call("GET", f"{url}/clients/{client_id}/personal-data", raseborg, headers={"X-Purpose": "case_handling"})
    assert read[0] == 200 and read[1]["name"] == person.name

    status, erased = _call("POST", f"{url}/clients/{client_id}/erasure", raseborg, {"basis": "client_request"})

    assert status == 200, erased
    assert _call("GET", f"{url}/clients/{client_id}/personal-data", raseborg, headers={"X-Purpose": "check"})[0] == 404
    row = await _trail_row(infra, uuid.UUID(erased["event_ids"][-1]))
    assert row["type"] == "ClientErased"
    conn = await asyncpg.connect(infra.dsn("audit"))
    try:
        kept = await conn.fetch("SELECT type, envelope FROM audit_trail WHERE client_id = $1", uuid.UUID(client_id))
    finally:
        await conn.close()
    assert {r["type"] for r in kept} == {"ClientRegistered", "ClientErased"}  # the trail keeps its events
    assert not any(value in r["envelope"].decode() for r in kept
                   for value in (person.name, person.identity_code, person.email, person.phone))
    verify = _verify(services)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_services_logs_hold_no_personal_data(services):
    """Runs after the registrations and the erasure above: what intake and audit logged about them."""
    for service in services.values():
        text = service.log.read_text()
        assert "registration applied" in text or service.name != "intake"  # the log is really being read
        assert pii_scan.findings(text) == [], service.name
        assert not any(value in text for value in SECRETS), service.name
