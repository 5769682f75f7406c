"""Issue 8: the inbox waits out real database faults instead of dead-lettering, and drops personal
content from dead letters when its subscription says so. Real asyncpg errors, real PostgreSQL, real Kafka."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from backbone import db
from backbone.app import RUNTIME_MIGRATIONS
from backbone.inbox import InboxConsumer, Subscription

from .conftest import end_offsets, read_topic
from .test_inbox import (  # noqa: F401 - subscribe: a fixture
    DLQ,
    TOPIC,
    _count,
    _dead_lettered,
    _has,
    _recorder,
    _run_consumer,
    registered,
    subscribe,
)

pytestmark = pytest.mark.integration

FAULTS_DB = "inbox_faults"


@pytest.fixture(scope="session")
async def faults_pool(infra):
    """A database of its own (owned by assessment) that a test can turn read-only without touching others."""
    admin = await asyncpg.connect(infra.dsn("postgres", "postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", FAULTS_DB):
            await admin.execute(f"CREATE DATABASE {FAULTS_DB} OWNER assessment")
        await admin.execute(f"ALTER DATABASE {FAULTS_DB} SET default_transaction_read_only = off")
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(infra.dsn("assessment", FAULTS_DB), min_size=1, max_size=6)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    yield pool
    await pool.close()


async def _table(pool, unique: str) -> str:
    table = f"applied_{unique}"
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {table} (event_id uuid, client_id uuid)")
    return table


async def _set_read_only(infra, on: bool) -> None:
    admin = await asyncpg.connect(infra.dsn("postgres", "postgres"))
    try:
        await admin.execute(f"ALTER DATABASE {FAULTS_DB} SET default_transaction_read_only = {'on' if on else 'off'}")
    finally:
        await admin.close()


async def _dead_letters_for(infra, start, key: bytes) -> list:
    records = await read_topic(infra, "audit", DLQ, None, start=start, until=lambda rs: False, timeout=3.0)
    return [r for r in records if r.key == key]


async def test_a_read_only_database_after_a_failover_is_waited_out_not_dead_lettered_and_applied_once(
        infra, faults_pool, producer_for, unique, subscribe):
    from .conftest import start_group_at_end

    await start_group_at_end(infra, "assessment", f"assessment.test-{unique}", TOPIC)
    table = await _table(faults_pool, unique)
    client = uuid.uuid4()
    e = registered(client)
    dlq_start = await end_offsets(infra, "audit", DLQ)
    await _set_read_only(infra, True)
    await faults_pool.expire_connections()  # the failover: new sessions land on a read-only server
    try:
        await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())
        seen: dict[str, object] = {}

        async def until(c: InboxConsumer) -> bool:
            if c.stalled and "problem" not in seen:
                seen["problem"] = c.problems()[0]
                seen["retries"] = c.stats.retries
            if "problem" in seen and c.stats.retries >= seen["retries"] + 4 and "cleared" not in seen:
                seen["cleared"] = True
                await _set_read_only(infra, False)  # the new primary takes writes
            return await _has(faults_pool, table, client, 1)

        consumer = await _run_consumer(infra, faults_pool, await producer_for("assessment"), unique,
                                       _recorder(table), subscribe=subscribe, until=until, timeout=60)
    finally:
        await _set_read_only(infra, False)

    assert "ReadOnlySQLTransactionError" in seen["problem"] and "paused" in seen["problem"]
    assert consumer.stats.dead_lettered == 0 and not consumer.stalled
    assert await _count(faults_pool, table, client) == 1
    assert await _dead_letters_for(infra, dlq_start, e.key()) == []


async def test_a_lock_timeout_is_waited_out_not_dead_lettered_and_applied_once(
        infra, assessment_pool, producer_for, unique, subscribe):  # assessment_pool: the inbox table exists
    from .conftest import start_group_at_end

    await start_group_at_end(infra, "assessment", f"assessment.test-{unique}", TOPIC)
    pool = await asyncpg.create_pool(infra.dsn("assessment"), min_size=1, max_size=4,
                                     server_settings={"lock_timeout": "200ms"})
    holder = await asyncpg.connect(infra.dsn("assessment"))
    try:
        table = await _table(pool, unique)
        client = uuid.uuid4()
        e = registered(client)
        dlq_start = await end_offsets(infra, "audit", DLQ)
        lock = holder.transaction()
        await lock.start()
        await holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # another session holds it
        await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())
        seen: dict[str, object] = {}

        async def until(c: InboxConsumer) -> bool:
            if c.stalled and "problem" not in seen:
                seen["problem"] = c.problems()[0]
            if "problem" in seen and c.stats.retries >= 4 and not seen.get("released"):
                seen["released"] = True
                await lock.rollback()
            return seen.get("released") and await applied() == 1

        async def applied() -> int:  # on the lock holder's own session, which the lock never blocks
            return await holder.fetchval(f"SELECT count(*) FROM {table} WHERE client_id = $1", client)

        consumer = await _run_consumer(infra, pool, await producer_for("assessment"), unique, _recorder(table),
                                       subscribe=subscribe, until=until, timeout=60)
        assert "LockNotAvailableError" in seen["problem"]
        assert consumer.stats.dead_lettered == 0 and not consumer.stalled
        assert await applied() == 1
        assert await _dead_letters_for(infra, dlq_start, e.key()) == []
    finally:
        await holder.close()
        await pool.close()


async def test_a_dead_letter_keeps_no_content_when_its_subscription_says_it_may_hold_personal_data(
        infra, assessment_pool, producer_for, unique):
    from .conftest import start_group_at_end

    await start_group_at_end(infra, "assessment", f"assessment.test-{unique}", TOPIC)
    client = uuid.uuid4()
    key = str(client).encode()
    leaked = json.loads(registered(client).to_bytes())
    marker = f"in-clear-{unique}"  # stands for personal data; a real person never goes on this event topic
    leaked["payload"]["person"] = {"name": marker}
    intake = await producer_for("intake")
    dlq_start = await end_offsets(infra, "audit", DLQ)
    await intake.send_and_wait(TOPIC, json.dumps(leaked).encode(), key=key, headers=[("note", marker.encode())])

    def never_clear(raw: bytes, _topic: str) -> bool:
        return b"person" not in raw

    def subscribe(name, handler) -> Subscription:
        return Subscription(name=name, topics=(TOPIC,), handler=handler, dead_letter_content=never_clear)

    await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique, _recorder("nowhere"),
                        subscribe=subscribe, until=_dead_lettered)

    records = await read_topic(infra, "audit", DLQ, None, start=dlq_start,
                               until=lambda rs: any(dict(r.headers).get("dlq.consumer") ==
                                                    f"assessment.test-{unique}".encode() for r in rs))
    mine = [r for r in records if dict(r.headers).get("dlq.consumer") == f"assessment.test-{unique}".encode()]
    assert len(mine) == 1
    dead = mine[0]
    headers = dict(dead.headers)
    assert dead.value == b"" and dead.key is None and "note" not in headers
    assert headers["dlq.content"] == b"dropped" and headers["dlq.error"] == b"InvalidPayload"
    assert headers["dlq.topic"] == TOPIC.encode() and int(headers["dlq.offset"]) >= 0
    everything = b"".join([dead.value] + [v for _, v in dead.headers])
    assert marker.encode() not in everything
