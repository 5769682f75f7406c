"""The shared audit trail shows a plan's whole chain: registration, assessment, plan opened, agreed, issued and
extended, every planning event caused by the one before and all in the registration's correlation."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest

from contracts.envelope import Envelope
from services.planning.tests.conftest import bearer, registered_and_assessed
from services.planning.tests.events import TODAY, issue_body
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

CATCH_UP_S = 180  # on its first run audit reads every event topic from the beginning


@pytest.fixture(scope="module")
def audit(infra, tmp_path_factory):
    process = ServiceProcess.start(infra, "audit", tmp_path_factory.mktemp("audit"))
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


async def trail_of(infra, client_id: uuid.UUID, types: int) -> list[Envelope]:
    conn = await asyncpg.connect(infra.dsn("audit"))
    try:
        deadline = time.monotonic() + CATCH_UP_S
        while True:
            rows = await conn.fetch("SELECT envelope FROM audit_trail WHERE client_id = $1 ORDER BY seq", client_id)
            envelopes = [Envelope.from_bytes(r["envelope"]) for r in rows]
            if len({e.type for e in envelopes}) >= types or time.monotonic() > deadline:
                return envelopes
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def test_audit_trail_links_registration_to_plan_extended(infra, audit, publish, planning_db, planning_url,
                                                               planning_tokens):
    token = await planning_tokens("employment-region")
    client_id, registration, assessment, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url, headers=bearer(token)) as http:
        assert (await http.post(f"/plans/{plan_id}/issue", json=issue_body())).status_code == 201
        assert (await http.post(f"/plans/{plan_id}/extensions", json={
            "until": str(TODAY + timedelta(days=365)), "reason": "continued_within_maximum"})).status_code == 201

    trail = await trail_of(infra, client_id, 6)

    by_id = {e.event_id: e for e in trail}
    extended = next(e for e in trail if e.type == "PlanExtended")
    chain = [extended]
    while chain[-1].causation_id is not None:
        chain.append(by_id[chain[-1].causation_id])
    assert [e.type for e in reversed(chain)] == ["ClientRegistered", "AssessmentCompleted", "PlanOpened",
                                                 "PlanAgreementRecorded", "PlanIssued", "PlanExtended"]
    assert {e.correlation_id for e in chain} == {registration.correlation_id}
    assert chain[-1].event_id == registration.event_id and chain[-2].event_id == assessment.event_id
