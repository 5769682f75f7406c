"""The outbox relay on real PostgreSQL and Kafka: nothing skipped, nothing reordered for a client."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import uuid
from collections import defaultdict

import pytest

from backbone import eventstore
from backbone.errors import ConcurrencyError
from backbone.relay import Relay
from contracts.envelope import Envelope
from contracts.topics import event_topic
from deploy.config import REPO
from tests.support.events import registered

from .conftest import end_offsets, read_topic

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")


async def _write(pool, clients: list[uuid.UUID], total: int, writers: int) -> dict[uuid.UUID, list[uuid.UUID]]:
    """`writers` concurrent tasks append `total` events to random clients, retrying conflicts."""
    committed: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    per_writer = total // writers

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        done = 0
        while done < per_writer:
            client = rng.choice(clients)
            batch = [registered(client) for _ in range(rng.randint(1, 3))][: per_writer - done]
            try:
                async with pool.acquire() as conn, conn.transaction():
                    version = await conn.fetchval(
                        "SELECT coalesce(max(version), 0) FROM event_store WHERE stream_id = $1", client)
                    await eventstore.append(conn, client, version, batch)
            except ConcurrencyError:
                continue  # another writer got there first: reload and retry, as a command handler would
            committed[client].extend(e.event_id for e in batch)
            done += len(batch)

    await asyncio.gather(*(writer(i) for i in range(writers)))
    return committed


def _per_client(records, clients) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each client's event ids in the order Kafka holds them, first occurrence only (duplicates are legal)."""
    keys = {str(c).encode(): c for c in clients}
    seen: set[uuid.UUID] = set()
    order: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for r in records:
        if r.key not in keys:
            continue  # other tests share the topic
        env = Envelope.from_bytes(r.value)
        assert env.client_id == keys[r.key]
        if env.event_id not in seen:
            seen.add(env.event_id)
            order[env.client_id].append(env.event_id)
    return order


async def _stream_order(pool, clients) -> dict[uuid.UUID, list[uuid.UUID]]:
    async with pool.acquire() as conn:
        return {c: [s.envelope.event_id for s in await eventstore.read_stream(conn, c)] for c in clients}


def _covers(clients, expected_total: int):
    keys = {str(c).encode() for c in clients}

    def done(records) -> bool:  # distinct events: a restarted relay legitimately sends some twice
        return len({dict(r.headers)["event_id"] for r in records if r.key in keys}) >= expected_total
    return done


async def test_eight_concurrent_writers_over_ten_thousand_events_lose_and_reorder_nothing(
        infra, intake_pool, producer_for, unique):
    clients = [uuid.uuid4() for _ in range(200)]
    start = await end_offsets(infra, "audit", TOPIC)
    relay = Relay(intake_pool, await producer_for("intake"), service="intake", topic=TOPIC,
                  kafka=infra.kafka_kwargs("intake"))
    relay_task = asyncio.create_task(relay.run())
    try:
        committed = await _write(intake_pool, clients, total=10_000, writers=8)
        records = await read_topic(infra, "audit", TOPIC, until=_covers(clients, 10_000), start=start)
    finally:
        relay_task.cancel()

    on_kafka = _per_client(records, clients)
    in_store = await _stream_order(intake_pool, clients)
    assert sum(len(v) for v in committed.values()) == 10_000
    for client in clients:
        assert sorted(committed[client]) == sorted(in_store[client])  # every commit is in the store
        assert on_kafka[client] == in_store[client], f"client {client}: skipped or reordered on Kafka"


async def test_a_relay_killed_mid_stream_and_restarted_loses_and_reorders_nothing(
        infra, intake_pool, unique):
    clients = [uuid.uuid4() for _ in range(50)]
    start = await end_offsets(infra, "audit", TOPIC)
    writing = asyncio.create_task(_write(intake_pool, clients, total=3_000, writers=4))
    args = [sys.executable, "-m", "tests.support.relay_proc", "intake", infra.dsn("intake"), infra.bootstrap,
            "intake", infra.secrets["kafka"]["intake"], TOPIC]

    for _ in range(3):  # start, let it publish part of the stream, kill it without warning
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        await asyncio.sleep(1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    await writing
    survivor = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        records = await read_topic(infra, "audit", TOPIC, until=_covers(clients, 3_000), start=start)
    finally:
        survivor.terminate()
        survivor.wait()

    on_kafka = _per_client(records, clients)
    in_store = await _stream_order(intake_pool, clients)
    assert sum(len(v) for v in in_store.values()) == 3_000
    for client in clients:
        assert on_kafka[client] == in_store[client], f"client {client}: skipped or reordered after the kill"
