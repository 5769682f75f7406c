"""Planning killed with SIGKILL mid-stream and started again: every completed assessment opens exactly one
plan, and every plan event reaches the bus (a re-sent batch repeats event ids, which consumers drop)."""

from __future__ import annotations

import asyncio
import signal
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import Envelope
from contracts.topics import event_topic
from services.planning.tests.conftest import CATCH_UP_S, eventually
from services.planning.tests.events import completed
from tests.support.events import registered
from tests.support.processes import ServiceProcess
from tests.support.events import envelopes

pytestmark = pytest.mark.e2e

CLIENTS = 40


async def planning_on_the_bus(infra, clients: set[uuid.UUID]) -> list[Envelope]:
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(event_topic("planning"), p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Envelope] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                found += [e for e in envelopes(r.value for r in records) if e.client_id in clients]
        return found
    finally:
        await consumer.stop()


async def test_killed_mid_stream_loses_and_duplicates_nothing(infra, publish, planning_db, tmp_path):
    registrations = [registered() for _ in range(CLIENTS)]
    clients = {r.client_id for r in registrations}
    service = ServiceProcess.start(infra, "planning", tmp_path)
    try:
        await asyncio.to_thread(service.wait_ready)
        for registration in registrations:
            await publish(registration)
        await eventually(lambda: planning_db.fetchval(
            "SELECT count(*) = $2 FROM client_view WHERE client_id = ANY($1::uuid[])", list(clients), CLIENTS),
            timeout=CATCH_UP_S)

        async def assess() -> None:  # a steady stream that goes on while the service is down
            for registration in registrations:
                await publish(completed(registration.client_id, registration))
                await asyncio.sleep(0.05)

        streaming = asyncio.create_task(assess())
        await eventually(lambda: _opened(planning_db, clients))
        service.proc.send_signal(signal.SIGKILL)  # mid-stream: some plans opened, more assessments coming
        service.proc.wait()
        opened_before_restart = await _opened(planning_db, clients)
        await streaming
        (tmp_path / "again").mkdir()
        service = ServiceProcess.start(infra, "planning", tmp_path / "again")
        await asyncio.to_thread(service.wait_ready)

        await eventually(lambda: _all_opened(planning_db, clients), timeout=120)
        on_bus = await eventually(lambda: _all_published(infra, clients), timeout=60)
    finally:
        service.stop()

    rows = await planning_db.fetch("SELECT client_id, event_id FROM event_store WHERE client_id = ANY($1::uuid[]) "
                                   "AND type = 'PlanOpened'", list(clients))
    assert sorted(r["client_id"] for r in rows) == sorted(clients)  # one plan opened per client, none twice
    assert {e.event_id for e in on_bus} == {r["event_id"] for r in rows}
    assert opened_before_restart < CLIENTS, "the kill came too late to test anything"


async def _opened(pool: asyncpg.Pool, clients: set[uuid.UUID]) -> int:
    return await pool.fetchval("SELECT count(*) FROM plans WHERE client_id = ANY($1::uuid[])", list(clients))


async def _all_opened(pool: asyncpg.Pool, clients: set[uuid.UUID]) -> bool:
    return await _opened(pool, clients) == len(clients)


async def _all_published(infra, clients: set[uuid.UUID]) -> list[Envelope] | None:
    found = await planning_on_the_bus(infra, clients)
    return found if {e.client_id for e in found if e.type == "PlanOpened"} == clients else None
