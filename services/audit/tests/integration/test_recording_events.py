"""The trail subscriber behind the runtime's inbox consumer, on real PostgreSQL: once per event, where it came from."""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import ConsumerRecord

from audit.adapters import trail_store
from audit.entrypoints.subscriber import subscription
from audit.service_layer.trail import verify_trail
from backbone.inbox import InboxConsumer
from tests.support.events import registered

pytestmark = pytest.mark.integration


def delivered(envelope, *, offset: int, partition: int = 2) -> ConsumerRecord:
    value = envelope.to_bytes()
    return ConsumerRecord("integration.intake.v1", partition, offset, 0, 0, envelope.key(), value, None,
                          len(envelope.key()), len(value), [])


@pytest.fixture
def consumer(trail_db):
    # No dead letters are expected here, so the consumer needs no Kafka producer.
    return InboxConsumer(trail_db.pool, None, {}, service="audit", subscription=subscription(),
                         dead_letter_topic="deadletter.audit.v1")


async def stored(trail_db) -> list:
    async with trail_db.pool.acquire() as conn:
        return await trail_store.fetch(conn, 1, 1000)


class TestRecordingEvents:
    async def test_records_each_event_with_the_topic_partition_and_offset_it_came_from(self, trail_db, consumer):
        client = uuid.uuid4()
        envelopes = [registered(client) for _ in range(3)]

        await consumer.process([delivered(e, offset=10 + i) for i, e in enumerate(envelopes)])

        records = await stored(trail_db)
        assert [(r.seq, r.entry.event_id, r.entry.offset) for r in records] == [
            (i + 1, e.event_id, 10 + i) for i, e in enumerate(envelopes)]
        first = records[0].entry
        assert (first.topic, first.partition, first.producer, first.type, first.client_id) == (
            "integration.intake.v1", 2, "intake", "ClientRegistered", client)
        assert first.envelope == envelopes[0].to_bytes()

    async def test_a_redelivered_event_is_recorded_once(self, trail_db, consumer):
        first, second = registered(), registered()

        await consumer.process([delivered(first, offset=1), delivered(first, offset=1)])
        await consumer.process([delivered(first, offset=1), delivered(second, offset=2)])
        await consumer.process([delivered(first, offset=1)])

        assert [r.entry.event_id for r in await stored(trail_db)] == [first.event_id, second.event_id]
        assert consumer.stats.duplicates == 3

    async def test_the_recorded_trail_verifies(self, trail_db, consumer):
        await consumer.process([delivered(registered(), offset=i) for i in range(5)])

        async with trail_db.pool.acquire() as conn:
            result = await verify_trail(conn)

        assert (result.verified, result.broken) == (5, None)


    async def test_an_event_of_a_type_this_service_does_not_know_yet_is_still_recorded(self, trail_db, consumer):
        raw = json.loads(registered().to_bytes())
        raw.update(type="ClientMovedAbroad", schema_version=1, event_id=str(uuid.uuid4()), payload={"x": 1})
        value = json.dumps(raw).encode()
        record = ConsumerRecord("integration.intake.v1", 0, 7, 0, 0, b"k", value, None, 1, len(value), [])

        await consumer.process([record])

        (stored_record,) = [r for r in await stored(trail_db) if str(r.entry.event_id) == raw["event_id"]]
        assert stored_record.entry.type == "ClientMovedAbroad" and stored_record.entry.envelope == value
