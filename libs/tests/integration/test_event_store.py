"""The event store on real PostgreSQL: versions, conflicts, reading back, gap-free positions."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backbone import eventstore
from backbone.errors import ConcurrencyError
from tests.support.events import registered

pytestmark = pytest.mark.integration


class TestAppend:
    async def test_appends_to_a_new_stream_and_reads_it_back_in_order(self, intake_pool):
        client = uuid.uuid4()
        envelopes = [registered(client) for _ in range(3)]

        async with intake_pool.acquire() as conn, conn.transaction():
            version = await eventstore.append(conn, client, 0, envelopes)
        async with intake_pool.acquire() as conn:
            stored = await eventstore.read_stream(conn, client)

        assert version == 3
        assert [(s.version, s.envelope) for s in stored] == list(zip([1, 2, 3], envelopes, strict=True))

    async def test_a_wrong_expected_version_is_a_concurrency_error(self, intake_pool):
        client = uuid.uuid4()
        async with intake_pool.acquire() as conn, conn.transaction():
            await eventstore.append(conn, client, 0, [registered(client)])

        with pytest.raises(ConcurrencyError, match="expected version 0, found version 1"):
            async with intake_pool.acquire() as conn, conn.transaction():
                await eventstore.append(conn, client, 0, [registered(client)])

    async def test_two_concurrent_appends_at_the_same_version_one_wins_one_gets_a_clear_conflict(self, intake_pool):
        client = uuid.uuid4()
        gate = asyncio.Event()

        async def writer() -> int:
            async with intake_pool.acquire() as conn, conn.transaction():
                await gate.wait()
                return await eventstore.append(conn, client, 0, [registered(client)])

        tasks = [asyncio.create_task(writer()) for _ in range(2)]
        await asyncio.sleep(0.05)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)

        assert sorted(map(type, results), key=str) == sorted([int, ConcurrencyError], key=str)
        async with intake_pool.acquire() as conn:
            assert len(await eventstore.read_stream(conn, client)) == 1

    async def test_append_outside_a_transaction_is_refused(self, intake_pool):
        client = uuid.uuid4()
        async with intake_pool.acquire() as conn:
            with pytest.raises(RuntimeError, match="inside the unit of work"):
                await eventstore.append(conn, client, 0, [registered(client)])

    async def test_a_rolled_back_transaction_leaves_no_event(self, intake_pool):
        client = uuid.uuid4()

        with pytest.raises(ZeroDivisionError):
            async with intake_pool.acquire() as conn, conn.transaction():
                await eventstore.append(conn, client, 0, [registered(client)])
                1 / 0  # the state change that came with the event failed

        async with intake_pool.acquire() as conn:
            assert await eventstore.read_stream(conn, client) == []


class TestSequence:
    async def test_positions_are_gap_free_and_follow_commit_order_for_each_client(self, intake_pool):
        client = uuid.uuid4()
        async with intake_pool.acquire() as conn, conn.transaction():
            await eventstore.append(conn, client, 0, [registered(client), registered(client)])
        async with intake_pool.acquire() as conn:
            await eventstore.sequence(conn)
            first = await conn.fetchval("SELECT min(position) FROM event_store WHERE stream_id = $1", client)
            stored = await eventstore.read_all(conn, after_position=first - 1, limit=100_000)

        positions = [s.position for s in stored]
        assert positions == list(range(first, first + len(positions)))
        assert [s.version for s in stored if s.stream_id == client] == [1, 2]
