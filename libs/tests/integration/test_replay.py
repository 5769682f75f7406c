"""A read model rebuilt from the event store (backbone.replay) is exactly the one the live path built:
the same events, published to Kafka and applied by the inbox, against a rebuild from the store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from backbone import clientview, db, eventstore, parts, replay
from backbone.app import RUNTIME_MIGRATIONS
from backbone.inbox import InboxConsumer
from contracts.envelope import Envelope
from contracts.events.intake import (
    ClientDetailsChanged,
    ClientErased,
    ClientRelationshipEnded,
    ClientSourceAdded,
    DuplicateResolved,
    ResponsibilityAssigned,
)
from contracts.topics import dead_letter_topic, event_topic

from .conftest import start_group_at_end
from .test_client_parts import envelope, registered

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")
COLUMNS = ("client_id, responsible_organisation, home_municipality, languages, target_groups, state, "
           "registered_jobseeker, luvn_participation_required, window_ends_on, registered_on, assessment_due_on, "
           "responsible_since, relationship_ended_on, erased_on, merged_into, last_event_id")


@asynccontextmanager
async def schema_pool(infra, role: str, name: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose connections use a new schema `name` (in `role`'s database) with the runtime's and the
    client view's tables; the schema is dropped afterwards."""
    conn = await asyncpg.connect(infra.dsn(role))
    await conn.execute(f"CREATE SCHEMA {name}")
    pool = await asyncpg.create_pool(infra.dsn(role), min_size=1, max_size=4, server_settings={"search_path": name})
    try:
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
        await db.migrate(pool, parts.CLIENT_VIEW, prefix="backbone/clientview/")
        yield pool
    finally:
        await pool.close()
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
        await conn.close()


def histories() -> dict[uuid.UUID, list[Envelope]]:
    """Clients with every kind of event the client view follows, and one it never saw registered."""
    out: dict[uuid.UUID, list[Envelope]] = {}
    for n in range(6):
        client = uuid.uuid4()
        events = [registered(client, languages=["ar", "sv"] if n % 2 else ["uk"])]
        events.append(ResponsibilityAssigned(previous_organisation="raseborg", responsible_organisation="employment-region",
                                             effective_on=date(2025, 4, 1 + n), reason="registered_as_jobseeker"))
        events.append(ClientDetailsChanged(languages=["fa", "en"], registered_jobseeker=True))
        events.append(ClientSourceAdded(source="employment_region_jobseeker", registered_on=date(2025, 4, 1),
                                        target_groups=["international_protection", "unemployed_jobseeker"],
                                        luvn_participation_required=False, state="to_be_assessed",
                                        state_reason="target_group_within_window", state_rule="R2",
                                        assessment_due_on=date(2025, 4, 8)))
        if n == 1:
            events.append(ClientRelationshipEnded(ended_on=date(2025, 6, 1), reason="moved_away",
                                                  erase_on=date(2029, 6, 1)))
        if n == 2:
            events.append(ClientErased(erased_on=date(2025, 7, 1), basis="client_request"))
        if n == 3:
            survivor = next(iter(out))
            events.append(DuplicateResolved(other_client_id=survivor, resolution="merged", surviving_client_id=survivor))
        out[client] = [envelope(e, client) for e in events]
    stranger = uuid.uuid4()
    out[stranger] = [envelope(ClientErased(erased_on=date(2025, 5, 1), basis="client_request"), stranger)]
    return out


async def _store(pool: asyncpg.Pool, streams: dict[uuid.UUID, list[Envelope]]) -> None:
    """Append each client's events, interleaving the clients (one event per transaction), then sequence them."""
    versions = dict.fromkeys(streams, 0)
    longest = max(len(v) for v in streams.values())
    async with pool.acquire() as conn:
        for i in range(longest):
            for client, envelopes in streams.items():
                if i < len(envelopes):
                    async with conn.transaction():
                        await eventstore.append(conn, client, versions[client], [envelopes[i]])
                    versions[client] += 1
        while await eventstore.sequence(conn):
            pass


async def _view(pool: asyncpg.Pool, clients) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(f"SELECT {COLUMNS} FROM client_view WHERE client_id = ANY($1::uuid[]) "
                                "ORDER BY client_id", list(clients))


async def _live(infra, pool: asyncpg.Pool, source: asyncpg.Pool, unique: str, expected: int) -> None:
    """The live path: the stored envelopes published as the relay publishes them (position order, the
    bytes as stored, keyed by client), applied by the inbox through the client view's subscription."""
    name = f"test-replay-{unique}"
    await start_group_at_end(infra, "assessment", f"assessment.{name}", TOPIC)
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        async for rows in replay.pages(source):
            for stored in rows:
                await producer.send_and_wait(TOPIC, stored.envelope.to_bytes(), key=stored.envelope.key())
        consumer = InboxConsumer(pool, producer, infra.kafka_kwargs("assessment"), service="assessment",
                                 subscription=clientview.subscription(name),
                                 dead_letter_topic=dead_letter_topic("assessment"))
        task = asyncio.create_task(consumer.run())
        try:
            async with asyncio.timeout(60):
                while await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name) \
                        < expected:
                    await asyncio.sleep(0.1)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert consumer.stats.dead_lettered == 0
    finally:
        await producer.stop()


async def test_a_rebuild_from_the_event_store_gives_exactly_the_view_the_live_path_built(infra, unique):
    streams = histories()
    count = sum(len(v) for v in streams.values())
    async with schema_pool(infra, "intake", f"replay_src_{unique}") as source, \
            schema_pool(infra, "assessment", f"replay_live_{unique}") as live, \
            schema_pool(infra, "assessment", f"replay_new_{unique}") as rebuilt:
        await _store(source, streams)
        await _live(infra, live, source, unique, count)

        done = await replay.rebuild(source, rebuilt, clientview.apply, page=7)  # pages end mid-stream

        assert done.events == count and done.last_position == count
        expected = await _view(live, streams)
        assert len(expected) == len(streams) - 1  # the stranger was never registered
        assert {r["erased_on"] is not None for r in expected} == {True, False}
        assert any(r["merged_into"] for r in expected) and any(r["relationship_ended_on"] for r in expected)
        assert await _view(rebuilt, streams) == expected

        for page in (7, 1000):  # a page holds part of a client's events, or all of them
            async with rebuilt.acquire() as conn:
                await conn.execute("TRUNCATE client_view")
            batched = await replay.rebuild(source, rebuilt, apply_batch=clientview.apply_batch, page=page)
            assert batched.events == count
            assert await _view(rebuilt, streams) == expected


async def test_a_rebuild_continues_after_a_position_and_reads_the_source_only(infra, unique):
    streams = histories()
    count = sum(len(v) for v in streams.values())
    async with schema_pool(infra, "intake", f"replay_src_{unique}") as source, \
            schema_pool(infra, "assessment", f"replay_once_{unique}") as once, \
            schema_pool(infra, "assessment", f"replay_twice_{unique}") as twice:
        await _store(source, streams)
        before = await source.fetch("SELECT * FROM event_store ORDER BY position")

        await replay.rebuild(source, once, clientview.apply)
        first = await replay.rebuild(source, twice, clientview.apply, types=frozenset({"ClientRegistered"}))
        rest = await replay.rebuild(source, twice, clientview.apply, after_position=first.last_position)

        assert first.events == len(streams) - 1 and rest.events == 0  # types filters; nothing after the end
        await replay.rebuild(source, twice, clientview.apply, after_position=0,
                             types=frozenset(set(e.type for v in streams.values() for e in v) - {"ClientRegistered"}))
        assert await _view(twice, streams) == await _view(once, streams)
        assert await source.fetch("SELECT * FROM event_store ORDER BY position") == before
        assert count == len(before)
