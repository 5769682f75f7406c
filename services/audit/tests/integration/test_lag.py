"""Consumer lag as the audit principal reads it from the real broker, and its samples for the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from audit.adapters import console_store
from audit.adapters.kafka_lag import read_lag
from audit.service_layer.lag import sample
from contracts.topics import event_topic
from tests.support.events import registered

pytestmark = pytest.mark.integration

TP = TopicPartition(event_topic("intake"), 0)


async def test_a_groups_lag_is_the_end_of_each_partition_minus_its_committed_offset(infra, unique):
    group = f"notifications.lag-test-{unique}"
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("notifications"), group_id=group, enable_auto_commit=False)
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TP])
        start = (await consumer.end_offsets([TP]))[TP]
        await consumer.commit({TP: OffsetAndMetadata(start, "")})
        for _ in range(3):
            e = registered()
            await producer.send_and_wait(TP.topic, e.to_bytes(), key=e.key(), partition=0)
    finally:
        await producer.stop()
        await consumer.stop()

    audit = infra.kafka_kwargs("audit")
    lags = {(p.group_id, p.topic, p.partition): p for p in await read_lag(audit)}

    mine = lags[(group, TP.topic, 0)]
    assert (mine.committed, mine.lag) == (start, mine.end_offset - start) and mine.lag >= 3


async def test_samples_are_kept_once_per_interval_and_summed_per_group(trail_db):
    from audit.adapters.kafka_lag import PartitionLag

    now = datetime.now(UTC)
    lags = [PartitionLag("g", "t", 0, 5, 9), PartitionLag("g", "t", 1, None, 2)]

    first = await sample(trail_db.pool, lags, now, interval_s=30, keep=timedelta(hours=1))
    too_soon = await sample(trail_db.pool, lags, now + timedelta(seconds=10), interval_s=30, keep=timedelta(hours=1))
    later = await sample(trail_db.pool, lags[:1], now + timedelta(seconds=20), interval_s=30, keep=timedelta(hours=1))

    rows = await console_store.lag_since(trail_db.pool, now - timedelta(minutes=1))
    assert (first, too_soon, later) == (True, False, True)
    assert [(r["group_id"], r["lag"]) for r in rows] == [("g", 6), ("g", 4)]

