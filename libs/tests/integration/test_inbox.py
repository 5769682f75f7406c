"""The idempotent consumer on real Kafka and PostgreSQL: once-only effects and dead letters."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from backbone.errors import Rejected
from backbone.inbox import InboxConsumer, Subscription
from contracts.topics import dead_letter_topic, event_topic
from tests.support.events import registered

from .conftest import read_topic, start_group_at_end

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")
DLQ = dead_letter_topic("assessment")


@pytest.fixture
async def effects(infra, assessment_pool, unique):
    """A table the handler writes to, one per test; the test's consumer group starts at the topic's end."""
    await start_group_at_end(infra, "assessment", f"assessment.test-{unique}", TOPIC)
    table = f"applied_{unique}"
    async with assessment_pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {table} (event_id uuid, client_id uuid)")
    return table


@pytest.fixture(params=["one by one", "in batches"])
def subscribe(request):
    """Every behaviour holds for a per-event handler and for the same handler given a batch at a time."""
    def make(name: str, handler) -> Subscription:
        if request.param == "one by one":
            return Subscription(name=name, topics=(TOPIC,), handler=handler)

        async def batch(conn, deliveries) -> None:
            for d in deliveries:
                assert d.topic == TOPIC and d.value == d.envelope.to_bytes()
                await handler(conn, d.envelope, d.event)
        return Subscription(name=name, topics=(TOPIC,), batch_handler=batch)
    return make


async def _run_consumer(infra, pool, producer, unique, handler, *, subscribe, until, timeout=30.0) -> InboxConsumer:
    sub = subscribe(f"test-{unique}", handler)
    consumer = InboxConsumer(pool, producer, infra.kafka_kwargs("assessment"), service="assessment",
                             subscription=sub, dead_letter_topic=DLQ)
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout):
            while not await until(consumer):
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return consumer


def _recorder(table: str, refuse: set | None = None):
    async def handle(conn, envelope, event) -> None:
        if refuse and envelope.client_id in refuse:
            raise Rejected("R5", "not this organisation's client")
        await conn.execute(f"INSERT INTO {table} VALUES ($1, $2)", envelope.event_id, envelope.client_id)
    return handle


async def _count(pool, table: str, client: uuid.UUID) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE client_id = $1", client)


async def test_a_duplicate_delivery_is_applied_once(infra, assessment_pool, producer_for, effects, unique, subscribe):
    client = uuid.uuid4()
    env, later = registered(client), registered(client)
    intake = await producer_for("intake")
    for e in (env, env, later):  # the first event twice, as a producer retry or relay restart would
        await intake.send_and_wait(TOPIC, e.to_bytes(), key=e.key())

    consumer = await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique,
                                   _recorder(effects), subscribe=subscribe,
                                   until=lambda c: _has(assessment_pool, effects, client, 2))

    await asyncio.sleep(0.5)
    assert await _count(assessment_pool, effects, client) == 2
    assert consumer.stats.duplicates >= 1


async def _dead_and_applied(consumer, pool, table, client) -> bool:
    return consumer.stats.dead_lettered >= 1 and await _has(pool, table, client, 1)


async def _has(pool, table, client, n) -> bool:
    return await _count(pool, table, client) >= n


async def test_poison_messages_are_dead_lettered_with_the_reason_and_the_next_message_is_processed(
        infra, assessment_pool, producer_for, effects, unique, subscribe):
    client = uuid.uuid4()
    key = str(client).encode()
    good = registered(client)
    unknown = json.loads(good.to_bytes())
    unknown.update(type="NoSuchEvent", event_id=str(uuid.uuid4()))
    bad_payload = json.loads(registered(client).to_bytes())
    bad_payload["payload"]["home_municipality"] = "stockholm"
    intake = await producer_for("intake")
    for value in (b"\xff not json", json.dumps(unknown).encode(), json.dumps(bad_payload).encode(), good.to_bytes()):
        await intake.send_and_wait(TOPIC, value, key=key, headers=[("trace", unique.encode())])

    await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique, _recorder(effects),
                        subscribe=subscribe, until=lambda c: _has(assessment_pool, effects, client, 1))

    dead = [r for r in await read_topic(infra, "audit", DLQ, f"audit-dlq-{unique}",
                                        until=lambda rs: sum(r.key == key for r in rs) >= 3) if r.key == key]
    reasons = [dict(r.headers)["dlq.error"].decode() for r in dead]
    assert reasons == ["InvalidEnvelope", "UnknownEventType", "InvalidPayload"]
    for r in dead:
        headers = dict(r.headers)
        assert headers["dlq.topic"] == TOPIC.encode() and headers["trace"] == unique.encode()
        assert int(headers["dlq.offset"]) >= 0 and headers["dlq.consumer"] == f"assessment.test-{unique}".encode()
        assert b"stockholm" not in headers["dlq.reason"]  # reasons name fields, never values
    assert await _count(assessment_pool, effects, client) == 1


async def test_a_message_its_handler_refuses_for_good_is_dead_lettered_and_the_rest_are_applied(
        infra, assessment_pool, producer_for, effects, unique, subscribe):
    refused, accepted = uuid.uuid4(), uuid.uuid4()
    intake = await producer_for("intake")
    for client in (refused, accepted):
        e = registered(client)
        await intake.send_and_wait(TOPIC, e.to_bytes(), key=e.key())

    await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique,
                        _recorder(effects, refuse={refused}), subscribe=subscribe,
                        until=lambda c: _dead_and_applied(c, assessment_pool, effects, accepted))

    dead = await read_topic(infra, "audit", DLQ, f"audit-refused-{unique}",
                            until=lambda rs: any(r.key == str(refused).encode() for r in rs))
    mine = [r for r in dead if r.key == str(refused).encode()]
    assert dict(mine[0].headers)["dlq.reason"] == b"handler refused: R5: not this organisation's client"
    assert await _count(assessment_pool, effects, refused) == 0


async def test_a_transient_failure_is_retried_until_it_passes_and_applied_once(
        infra, assessment_pool, producer_for, effects, unique, subscribe):
    client = uuid.uuid4()
    e = registered(client)
    await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())
    failures = {"left": 3}
    record = _recorder(effects)

    async def flaky(conn, envelope, event) -> None:
        if envelope.client_id == client and failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionResetError("database went away")
        await record(conn, envelope, event)

    consumer = await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique, flaky,
                                   subscribe=subscribe, until=lambda c: _has(assessment_pool, effects, client, 1))

    assert failures["left"] == 0 and consumer.stats.retries >= 3
    assert await _count(assessment_pool, effects, client) == 1


async def test_a_handler_bug_is_retried_without_limit_never_dead_lettered_and_applied_once_fixed(
        infra, assessment_pool, producer_for, effects, unique, subscribe):
    """Issue 8: an error nobody expected used to be dead-lettered after 5 tries (and recorded as done)."""
    buggy = uuid.uuid4()
    e = registered(buggy)
    await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())
    record = _recorder(effects)
    bug = {"on": True}

    async def handler(conn, envelope, event) -> None:
        if envelope.client_id == buggy and bug["on"]:
            raise KeyError("a bug, not a rule")
        await record(conn, envelope, event)

    async def stalled_long(c) -> bool:
        if c.stats.retries >= 8 and c.stalled:
            assert "KeyError" in c.problems()[0]
            bug["on"] = False  # the fix is deployed
        return await _has(assessment_pool, effects, buggy, 1)

    consumer = await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique, handler,
                                   subscribe=subscribe, until=stalled_long, timeout=60)

    assert consumer.stats.dead_lettered == 0 and consumer.stats.retries >= 8
    assert await _count(assessment_pool, effects, buggy) == 1 and not consumer.stalled


async def test_a_refused_message_is_not_recorded_as_processed_so_it_can_be_redriven(
        infra, assessment_pool, producer_for, effects, unique, subscribe):
    refused = uuid.uuid4()
    e = registered(refused)
    await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())

    await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique,
                        _recorder(effects, refuse={refused}), subscribe=subscribe,
                        until=lambda c: _dead_lettered(c))

    async with assessment_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", f"test-{unique}") == 0


async def _dead_lettered(consumer) -> bool:
    return consumer.stats.dead_lettered >= 1


def test_a_subscription_takes_exactly_one_kind_of_handler():
    with pytest.raises(ValueError, match="exactly one of handler and batch_handler"):
        Subscription(name="x", topics=(TOPIC,))
