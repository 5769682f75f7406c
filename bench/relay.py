"""Relay publish throughput vs a raw aiokafka producer sending the same messages.

Each repetition fills a scratch event store with N events (N/400 per client, unsequenced, as
appends leave them), then times `Relay.step` rounds on one connection until all N are on
integration.intake.v1, as principal "intake": sequencing, reading, sending (idempotent producer,
acks=all, linger 2 ms: the services' producer) and moving the cursor with its partition offsets. The
catch-up a new leader does once (reading its topic back from the stored offsets) runs before the clock. The baseline sends the same
envelope bytes with the same keys (client id) and headers through the same producer, all at once,
and waits for every acknowledgement. The partition offsets the relay wrote are kept for the
consume benchmark.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from backbone import eventstore
from backbone.relay import Relay
from contracts.envelope import Envelope
from contracts.topics import event_topic

from bench.common import Sizes, Target, envelopes, headers, log, median, new_clients, producer, scratch_database

SERVICE = "intake"
TOPIC = event_topic(SERVICE)

Offsets = dict[TopicPartition, int]


@dataclass
class RelayResult:
    relay: list[float]  # events/s per repetition
    raw: list[float]
    written: tuple[Offsets, Offsets]  # [start, end) offsets per partition of the last relay run

    @property
    def events(self) -> int:
        start, end = self.written
        return sum(end[tp] - start[tp] for tp in end)

    @property
    def relay_median(self) -> float:
        return median(self.relay)

    @property
    def raw_median(self) -> float:
        return median(self.raw)


async def end_offsets(target: Target, topic: str = TOPIC) -> Offsets:
    """The topic's end offsets, read as "audit" (a reader of every event topic)."""
    consumer = AIOKafkaConsumer(**target.kafka("audit"), client_id="audit-bench-offsets")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        return await consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
    finally:
        await consumer.stop()


async def fill(pool: asyncpg.Pool, envs: list[Envelope]) -> None:
    """Empty the store and its cursor, then append `envs` (one transaction per client's stream)."""
    by_stream: dict = {}
    for e in envs:
        by_stream.setdefault(e.client_id, []).append(e)
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE event_store")
        await conn.execute("UPDATE event_store_cursor SET last_position = 0, published_position = 0")
        for stream, mine in by_stream.items():
            async with conn.transaction():
                await eventstore.append(conn, stream, 0, mine)


async def run_relay(pool: asyncpg.Pool, kafka: AIOKafkaProducer, n: int, target: Target) -> float:
    relay = Relay(pool, kafka, service=SERVICE, topic=TOPIC, kafka=target.kafka(SERVICE))
    async with pool.acquire() as conn:
        await relay.catch_up(conn)  # what a new leader does once, before the clock starts
        start = time.perf_counter()
        while relay.published < n:
            if await relay.step(conn) == 0:
                raise RuntimeError(f"relay stopped after {relay.published} of {n} events")
        elapsed = time.perf_counter() - start
        unpublished = await conn.fetchval("SELECT count(*) FROM event_store e, event_store_cursor c "
                                          "WHERE e.position IS NULL OR e.position > c.published_position")
    if unpublished:
        raise RuntimeError(f"{unpublished} events left unpublished")
    return n / elapsed


async def run_raw(kafka: AIOKafkaProducer, envs: list[Envelope]) -> float:
    messages = [(e.to_bytes(), e.key(), headers(e, SERVICE)) for e in envs]  # built before the clock starts
    start = time.perf_counter()
    futures = [await kafka.send(TOPIC, value, key=key, headers=hdrs) for value, key, hdrs in messages]
    await asyncio.gather(*futures)
    return len(messages) / (time.perf_counter() - start)


async def bench_relay(target: Target, sizes: Sizes) -> RelayResult:
    n = sizes.relay_events
    relay_rates: list[float] = []
    raw_rates: list[float] = []
    written: tuple[Offsets, Offsets] | None = None
    kafka = await producer(target, SERVICE)
    try:
        async with scratch_database(target, "relay") as dsn:
            pool = await asyncpg.create_pool(dsn, min_size=2, max_size=2)
            try:
                for rep in range(sizes.reps):
                    envs = envelopes(n, new_clients())
                    await fill(pool, envs)
                    before = await end_offsets(target)
                    relay_rates.append(await run_relay(pool, kafka, n, target))
                    written = (before, await end_offsets(target))
                    raw_rates.append(await run_raw(kafka, envs))
                    log(f"relay rep {rep + 1}: relay {relay_rates[-1]:,.0f}/s, raw producer {raw_rates[-1]:,.0f}/s "
                        f"({n} events)")
            finally:
                await pool.close()
    finally:
        await kafka.stop()
    assert written is not None
    return RelayResult(relay_rates, raw_rates, written)
