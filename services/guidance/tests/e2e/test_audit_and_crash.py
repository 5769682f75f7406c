"""Guidance as real processes: every step of a referral lands on the shared audit trail; and a guidance
process killed with SIGKILL in the middle of a stream of erasures loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import pytest

from backbone import auth
from contracts.events.intake import ClientErased
from services.guidance.tests.integration.conftest import envelope, eventually, published, registered
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

CATCH_UP_S = 400  # the audit service first works off what every other test left on the bus


async def test_the_audit_trail_has_each_step_of_a_referral(infra, guidance, http, client_of, plan_of,
                                                           tmp_path_factory):
    audit = ServiceProcess.start(infra, "audit", tmp_path_factory.mktemp("audit"))
    try:
        await asyncio.to_thread(audit.wait_ready)
        client_id = await client_of()
        plan_id = await plan_of(client_id)
        provider = await guidance.as_("provider:mbi-raseborg", "provider")
        made = await http.post("/referrals", json={"client_id": str(client_id), "service_code": "civic_orientation",
                                                   "language": "ar", "plan_id": str(plan_id)},
                               headers=await guidance.as_("raseborg", "officer"))
        referral_id = made.json()["subject_id"]
        for step, body in [("acceptance", {"starts_on": date.today().isoformat()}), ("start", {}),
                           ("completion", {"outcome": "completed"})]:
            assert (await http.post(f"/referrals/{referral_id}/{step}", json=body, headers=provider)).status_code == 200
        events = await published(infra, {client_id}, until=lambda found: len(found) >= 4)

        conn = await asyncpg.connect(infra.dsn("audit"))
        try:
            async def trail():
                rows = await conn.fetch("SELECT event_id FROM audit_trail WHERE event_id = ANY($1::uuid[]) "
                                        "ORDER BY seq", [e.event_id for e in events])
                return rows if len(rows) == len(events) else None

            rows = await eventually(trail, timeout=CATCH_UP_S)
        finally:
            await conn.close()
        assert [r["event_id"] for r in rows] == [e.event_id for e in events]
        assert [e.type for e in events] == ["ReferralMade", "ReferralAccepted", "ReferralStarted", "ReferralCompleted"]
    finally:
        audit.stop()


async def test_killed_mid_stream_guidance_loses_and_duplicates_nothing(infra, bus, tmp_path_factory):
    logs = tmp_path_factory.mktemp("guidance")
    first = ServiceProcess.start(infra, "guidance", logs)
    pool = await asyncpg.create_pool(infra.dsn("guidance"), min_size=1, max_size=2)
    second = None
    try:
        await asyncio.to_thread(first.wait_ready)
        token = (await auth.issue(pool, principal="raseborg", role="officer", label="crash test",
                                  now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))).token
        clients = [uuid.uuid4() for _ in range(40)]
        for client_id in clients:
            await bus("intake", registered(client_id))
        await eventually(lambda: _count(pool, "SELECT count(*) FROM client_view WHERE client_id = ANY($1::uuid[])",
                                        clients, len(clients)), timeout=CATCH_UP_S)
        referrals = []
        async with httpx.AsyncClient(base_url=first.url, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            for client_id in clients:
                made = await http.post("/referrals", json={"client_id": str(client_id), "language": "fi",
                                                           "service_code": "language_cafe.karis"})
                assert made.status_code == 201, made.text
                referrals.append(uuid.UUID(made.json()["subject_id"]))

        async def erase_all() -> None:
            for n, client_id in enumerate(clients):
                await bus("intake", envelope(ClientErased(erased_on=date.today(), basis="client_request"), client_id))
                if n % 5 == 4:
                    await asyncio.sleep(0.3)

        publishing = asyncio.create_task(erase_all())
        cancelled = "SELECT count(*) FROM referrals WHERE referral_id = ANY($1::uuid[]) AND state = 'cancelled'"
        await eventually(lambda: _count(pool, cancelled, referrals, 5), timeout=60)
        first.proc.kill()  # SIGKILL: no shutdown, mid-stream
        first.proc.wait()
        assert await pool.fetchval(cancelled, referrals) < len(referrals), "the stream was over before the kill"
        await publishing

        second = ServiceProcess.start(infra, "guidance", logs)
        await asyncio.to_thread(second.wait_ready)
        await eventually(lambda: _count(pool, cancelled, referrals, len(referrals)), timeout=120)

        stored = await pool.fetch("SELECT stream_id, event_id FROM event_store WHERE type = 'ReferralCancelled' "
                                  "AND stream_id = ANY($1::uuid[])", referrals)
        assert sorted(r["stream_id"] for r in stored) == sorted(referrals)  # one cancellation each, none twice
        on_bus = await published(infra, set(clients), until=lambda found: {
            e.event_id for e in found if e.type == "ReferralCancelled"} >= {r["event_id"] for r in stored},
            timeout=120)
        cancels = {e.event_id: e.client_id for e in on_bus if e.type == "ReferralCancelled"}
        assert set(cancels) == {r["event_id"] for r in stored} and sorted(cancels.values()) == sorted(clients)
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
        await pool.close()


async def _count(pool: asyncpg.Pool, query: str, ids: list[uuid.UUID], at_least: int) -> bool:
    return (await pool.fetchval(query, ids)) >= at_least
