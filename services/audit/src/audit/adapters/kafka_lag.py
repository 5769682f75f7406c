"""Consumer lag read from Kafka with audit's principal (it may describe every group and topic)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class PartitionLag:
    group_id: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing there yet
    end_offset: int

    @property
    def lag(self) -> int:
        return self.end_offset - (self.committed or 0)


async def read_lag(kafka: dict[str, Any], timeout_s: float = 10.0) -> list[PartitionLag]:
    """Every consumer group's committed offsets against each partition's end, sorted."""
    admin = AIOKafkaAdminClient(**kafka, request_timeout_ms=int(timeout_s * 1000))
    consumer = AIOKafkaConsumer(**kafka, group_id=None, enable_auto_commit=False,
                                request_timeout_ms=int(timeout_s * 1000))
    await admin.start()
    await consumer.start()
    try:
        groups = sorted({g[0] for g in await admin.list_consumer_groups()})
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        partitions = sorted({tp for offsets in committed.values() for tp in offsets})
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return [PartitionLag(g, tp.topic, tp.partition, offsets.get(tp), ends[tp])
                for g, offsets in committed.items() for tp in sorted(offsets) if tp in ends]
    finally:
        await consumer.stop()
        await admin.close()
