"""The walking skeleton: a client registered over intake's HTTP API reaches the shared audit trail
through intake's outbox, its relay and real Kafka, and the trail still verifies."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
import uuid

import asyncpg
import pytest

from deploy.config import REPO
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

PERSON = {
    "name": "Walking Skeleton-Example",
    "date_of_birth": "1990-04-02",
    "email": "skeleton@example.org",
    "phone": "+44 7700 900123",
    "home_municipality": "hango",
    "languages": ["uk", "ru"],
    "residence_permit_date": "2025-09-01",
    "source": "own_request",
    "target_groups": ["own_request_or_authority_contact"],
}


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


def _register(url: str, body: dict) -> dict:
    request = urllib.request.Request(url + "/clients", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Organisation": "hango"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 201
        return json.loads(resp.read())


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


async def test_a_registered_client_reaches_the_audit_trail_and_the_trail_verifies(infra, services):
    accepted = _register(services["intake"].url, PERSON)

    row = await _trail_row(infra, uuid.UUID(accepted["event_id"]))

    assert (row["type"], row["producer"], row["organisation"]) == ("ClientRegistered", "intake", "hango")
    assert row["client_id"] == uuid.UUID(accepted["client_id"])
    assert row["topic"] == "integration.intake.v1"
    envelope = json.loads(row["envelope"])
    assert envelope["correlation_id"] == accepted["correlation_id"]
    for personal in ("Walking", "Skeleton-Example", "1990-04-02", "skeleton@example.org", "900123"):
        assert personal not in row["envelope"].decode()
    verify = subprocess.run([sys.executable, "-m", "audit", "verify"], env=services["audit"].env, cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("OK: ")
