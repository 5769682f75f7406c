"""Issue 9: a message too large for Kafka never stops a service's outbox. Appends refuse it naming the
limit; one that still reaches the relay (a limit lowered later) is parked with an alert, and the relay
goes on with the next events. Real PostgreSQL and Kafka."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer

from backbone import eventstore
from backbone.errors import EventTooLarge, Rejected
from backbone.relay import Relay
from contracts.topics import event_topic
from tests.support.events import registered

from .conftest import end_offsets, read_topic

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")


def _padded(envelope, total: int):
    """The envelope grown to exactly `total` bytes (a payload field the append does not look into)."""
    base = len(envelope.to_bytes()) + len(',"pad":""')
    return envelope.model_copy(update={"payload": {**envelope.payload, "pad": "x" * (total - base)}})


async def test_an_event_larger_than_kafka_takes_is_refused_at_append_naming_the_limit(intake_pool):
    client = uuid.uuid4()
    padded, just_fits = _padded(registered(client), eventstore.MAX_EVENT_BYTES + 1), \
        _padded(registered(client), eventstore.MAX_EVENT_BYTES)
    assert len(padded.to_bytes()) == eventstore.MAX_EVENT_BYTES + 1
    assert len(just_fits.to_bytes()) == eventstore.MAX_EVENT_BYTES

    async with intake_pool.acquire() as conn:
        async with conn.transaction():
            with pytest.raises(EventTooLarge) as refused:
                await eventstore.append(conn, client, 0, [padded])
        accepted = conn.transaction()  # rolled back: the relay tests below lower the producer's limit
        await accepted.start()
        assert await eventstore.append(conn, uuid.uuid4(), 0, [just_fits]) == 1
        await accepted.rollback()
        stored = await conn.fetchval("SELECT count(*) FROM event_store WHERE event_id = $1", padded.event_id)

    assert isinstance(refused.value, Rejected) and refused.value.rule == "event.size"
    assert f"larger than the {eventstore.MAX_EVENT_BYTES} bytes" in str(refused.value) and stored == 0
    assert eventstore.MAX_EVENT_BYTES < 1_048_576  # under the producer's max_request_size and the topic's limit


async def _store_raw(conn, envelope, raw: bytes) -> None:
    """What an append wrote before a limit was lowered: bytes the relay must now send as they are."""
    await conn.execute("INSERT INTO event_store (stream_id, version, event_id, client_id, type, envelope) "
                       "VALUES ($1, 1, $2, $3, $4, $5)", uuid.uuid4(), envelope.event_id, envelope.client_id,
                       envelope.type, raw)


@pytest.mark.parametrize("where", ["producer", "broker"])
async def test_a_message_kafka_refuses_is_parked_with_an_alert_and_the_relay_goes_on(
        infra, intake_pool, where, capsys):
    client = uuid.uuid4()
    big, after = registered(client), registered(client)
    # producer: larger than the producer's max_request_size (refused before sending);
    # broker: within it, but over the topic's max.message.bytes (refused by the broker).
    size, max_request = (50_000, 20_000) if where == "producer" else (1_500_000, 4_000_000)
    raw = big.to_bytes()[:-1] + b',"pad":"' + b"x" * size + b'"}'
    start = await end_offsets(infra, "audit", TOPIC)
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all",
                                max_request_size=max_request)
    await producer.start()
    try:
        async with intake_pool.acquire() as conn:
            async with conn.transaction():
                await _store_raw(conn, big, raw)
                await eventstore.append(conn, uuid.uuid4(), 0, [after])
            relay = Relay(intake_pool, producer, service="intake", topic=TOPIC, kafka=infra.kafka_kwargs("intake"))
            for _ in range(50):
                await relay.step(conn)
                if await conn.fetchval("SELECT count(*) FROM event_store e JOIN event_store_cursor c "
                                       "ON e.position <= c.published_position WHERE e.event_id = $1",
                                       after.event_id):
                    break
            parked = await conn.fetchrow("SELECT * FROM event_store_parked WHERE event_id = $1", big.event_id)
    finally:
        await producer.stop()

    records = await read_topic(infra, "audit", TOPIC, start=start,
                               until=lambda rs: any(r.key == str(client).encode() for r in rs), timeout=30)
    mine = [r for r in records if r.key == str(client).encode()]
    assert [dict(r.headers)["event_id"] for r in mine] == [str(after.event_id).encode()]
    assert parked is not None and parked["error"] == "MessageSizeTooLargeError" and parked["size"] == len(raw)
    assert relay.parked == 1
    logged = capsys.readouterr().out
    assert "event parked" in logged and str(big.event_id) in logged and "alert" in logged
