from __future__ import annotations

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from backbone import db
from backbone.app import RUNTIME_MIGRATIONS
from backbone.kafka import move_group_to_end


async def _pool(infra, role: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(infra.dsn(role), min_size=1, max_size=12)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    return pool


@pytest.fixture(scope="session")
async def intake_pool(infra):
    pool = await _pool(infra, "intake")
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def assessment_pool(infra):
    pool = await _pool(infra, "assessment")
    yield pool
    await pool.close()


@pytest.fixture
async def producer_for(infra):
    started = []

    async def make(principal: str) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(**infra.kafka_kwargs(principal), enable_idempotence=True, acks="all")
        await producer.start()
        started.append(producer)
        return producer

    yield make
    for p in started:
        await p.stop()


async def end_offsets(infra, principal: str, topic: str) -> dict:
    """The topic's current end offsets: read from here to see only what a test writes afterwards."""
    from aiokafka import TopicPartition

    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(principal), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - learn the topic's partitions
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def read_topic(infra, principal: str, topic: str, group: str | None = None, *, until,
                     start: dict | None = None, timeout: float = 90.0) -> list:
    """Read `topic` as `principal` (from `start` offsets, else from the beginning) until `until(records)`."""
    import asyncio
    import time

    if start is None:
        consumer = AIOKafkaConsumer(topic, **infra.kafka_kwargs(principal), group_id=group,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
    else:
        consumer = AIOKafkaConsumer(**infra.kafka_kwargs(principal), enable_auto_commit=False)
        await consumer.start()
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
    records: list = []
    deadline = time.monotonic() + timeout
    try:
        while not until(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for recs in batch.values():
                records.extend(recs)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


async def start_group_at_end(infra, principal: str, group: str, topic: str) -> None:
    """Commit the topic's current end offsets for `group`, so a new consumer skips older tests' messages."""
    await move_group_to_end(infra.kafka_kwargs(principal), group, [topic])
