"""`backbone.kafka.move_group_to_end` on the real broker: a consumer group moved to the end of its topics
reads only what is written afterwards, and the count it returns is what the group skipped."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from backbone.kafka import move_group_to_end
from contracts.topics import event_topic
from tests.support.events import registered

from .conftest import end_offsets

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")


async def committed(infra, group: str, partitions) -> dict[TopicPartition, int | None]:
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("assessment"), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(partitions))
        return {tp: await consumer.committed(tp) for tp in partitions}
    finally:
        await consumer.stop()


async def read_until(infra, group: str, wanted: set[bytes], timeout: float = 60) -> list:
    """What a member of `group` reads until it has read every message in `wanted` (it commits nothing)."""
    consumer = AIOKafkaConsumer(TOPIC, **infra.kafka_kwargs("assessment"), group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list = []
    deadline = time.monotonic() + timeout
    try:
        while not wanted <= {r.value for r in found}:
            assert time.monotonic() < deadline, f"{len(wanted - {r.value for r in found})} messages not read"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += records
        return found
    finally:
        await consumer.stop()


async def write(producer_for, n: int) -> set[bytes]:
    producer = await producer_for("intake")
    sent = [registered() for _ in range(n)]
    await asyncio.gather(*(producer.send_and_wait(TOPIC, e.to_bytes(), key=e.key()) for e in sent))
    return {e.to_bytes() for e in sent}


async def test_a_group_moved_to_the_end_reads_only_what_is_written_afterwards(infra, producer_for, unique):
    group = f"assessment.test-{unique}"
    await write(producer_for, 6)  # a backlog the group has never read
    before = await end_offsets(infra, "assessment", TOPIC)

    skipped = await move_group_to_end(infra.kafka_kwargs("assessment"), group, [TOPIC, TOPIC])

    after = await end_offsets(infra, "assessment", TOPIC)
    assert sum(before.values()) <= skipped <= sum(after.values())  # a new group skips the whole topic
    at = await committed(infra, group, list(after))
    assert all(before[tp] <= (at[tp] or 0) <= after[tp] for tp in after), at
    assert {tp for tp, offset in at.items() if offset is None} == {tp for tp, end in after.items() if not end}

    mine = await write(producer_for, 3)
    read = await read_until(infra, group, mine)
    early = [(r.partition, r.offset) for r in read if r.offset < (at[TopicPartition(TOPIC, r.partition)] or 0)]
    assert not early, f"the group read what was written before it was moved: {early}"

    # That reader committed nothing: the group is still where it was moved to, and moving it again skips
    # what was written since (our 3, and anything another writer added meanwhile), then nothing more.
    written = sum((await end_offsets(infra, "assessment", TOPIC)).values()) - sum(after.values())
    again = await move_group_to_end(infra.kafka_kwargs("assessment"), group, [TOPIC])
    ends = await end_offsets(infra, "assessment", TOPIC)
    assert 3 <= written <= again <= sum(ends.values()) - sum(offset or 0 for offset in at.values())
    assert await move_group_to_end(infra.kafka_kwargs("assessment"), group, [TOPIC]) <= sum(
        (await end_offsets(infra, "assessment", TOPIC)).values()) - sum(ends.values())
    at = await committed(infra, group, list(ends))
    assert all(ends[tp] <= (at[tp] or 0) for tp in ends), at


async def test_an_unknown_topic_is_refused_by_name(infra, unique):
    topic = f"no-such-topic-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ValueError, match=topic):
        await move_group_to_end(infra.kafka_kwargs("assessment"), f"assessment.test-{unique}", [TOPIC, topic])
