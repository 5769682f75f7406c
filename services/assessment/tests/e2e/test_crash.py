"""kill -9 assessment while it consumes 1,000 registrations, start it again: every case exists exactly once
and no event was made or published twice."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.envelope import Envelope
from contracts.topics import all_topics, event_topic
from services.assessment.tests.factories import new_client, registered
from tests.support.system import skip_backlog
from tests.support.processes import ServiceProcess
from tests.support.events import envelopes

pytestmark = pytest.mark.e2e

COUNT = 1000
TOPIC = event_topic("assessment")


async def end_offsets(infra) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(TOPIC, p) for p in range(next(t for t in all_topics() if t.name == TOPIC)
                                                               .partitions)]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def opened_on_topic(infra, start: dict[TopicPartition, int], clients: set[UUID],
                          timeout: float = 120) -> list[Envelope]:
    """Every `AssessmentCaseOpened` of `clients` published since `start`, once all clients have one."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False)
    await consumer.start()
    found: list[Envelope] = []
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                for envelope in envelopes(r.value for r in records):
                    if envelope.type == "AssessmentCaseOpened" and envelope.client_id in clients:
                        found.append(envelope)
            if {e.client_id for e in found} == clients:
                await asyncio.sleep(2)  # anything published twice would follow right behind
                for records in (await consumer.getmany(timeout_ms=1000, max_records=2000)).values():
                    found += [e for e in map(Envelope.from_bytes, (r.value for r in records))
                              if e.type == "AssessmentCaseOpened" and e.client_id in clients]
                return found
        return found
    finally:
        await consumer.stop()


async def count_cases(conn: asyncpg.Connection, clients: list[UUID]) -> int:
    return await conn.fetchval("SELECT count(*) FROM cases WHERE client_id = ANY($1::uuid[])", clients)


async def test_kill_9_while_consuming_registrations_then_restart_every_case_once(infra, tmp_path):
    clients = [new_client() for _ in range(COUNT)]
    start = await end_offsets(infra)
    conn = await asyncpg.connect(infra.dsn("assessment"))
    await skip_backlog(infra, "assessment")  # the other tests' events on intake's topic are not this test's
    first = ServiceProcess.start(infra, "assessment", tmp_path)
    try:
        first.wait_ready()
        producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all",
                                    linger_ms=5)
        await producer.start()
        try:
            for client_id in clients:
                envelope = registered(client_id)
                await producer.send(event_topic("intake"), envelope.to_bytes(), key=envelope.key())
            await producer.flush()
        finally:
            await producer.stop()

        deadline = time.monotonic() + 60
        while (done := await count_cases(conn, clients)) == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        first.proc.kill()  # SIGKILL: no shutdown, no rollback but the database's own
        first.proc.wait()
        assert 0 < done < COUNT, f"killed after {done} of {COUNT} cases: the crash hit no consumption"
    finally:
        first.stop()

    (tmp_path / "restart").mkdir()
    second = ServiceProcess.start(infra, "assessment", tmp_path / "restart")
    try:
        second.wait_ready()
        deadline = time.monotonic() + 120
        while await count_cases(conn, clients) < COUNT and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        published = await opened_on_topic(infra, start, set(clients))
    finally:
        second.stop()

    per_client = await conn.fetch(
        """SELECT c.client_id, count(DISTINCT c.assessment_id) AS cases,
                  (SELECT count(*) FROM event_store e WHERE e.client_id = c.client_id
                     AND e.type = 'AssessmentCaseOpened') AS opened
           FROM cases c WHERE c.client_id = ANY($1::uuid[]) GROUP BY c.client_id""", clients)
    inbox = await conn.fetchval("SELECT count(*) FROM client_view WHERE client_id = ANY($1::uuid[])", clients)
    await conn.close()

    assert len(per_client) == COUNT and inbox == COUNT
    assert {(r["cases"], r["opened"]) for r in per_client} == {(1, 1)}
    assert len({e.client_id for e in published}) == COUNT
    assert len({e.event_id for e in published}) == COUNT, "an event was made twice"
    assert len(published) == COUNT, "an event was published twice"
