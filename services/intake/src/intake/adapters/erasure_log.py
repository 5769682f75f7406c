"""Reading intake's own event topic back for the erasures it published.

The topic keeps every event forever and is not restored with the database, so it is the record of
erasures that survives a backup restore (the restored database forgot them, and with them the
destroyed data keys came back).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from backbone.kafka import aiokafka_kwargs
from backbone.settings import ServiceSettings
from contracts.envelope import Envelope
from contracts.errors import ContractError
from contracts.topics import all_topics

log = structlog.get_logger()


@dataclass(frozen=True)
class PublishedErasure:
    client_id: UUID
    basis: str
    event_id: UUID


async def read_erasures(settings: ServiceSettings, topic: str, start: dict[int, int],
                        poll_ms: int = 1000) -> tuple[list[PublishedErasure], dict[int, int]]:
    """Every `ClientErased` on `topic` from the offsets in `start` (per partition; from the beginning
    where absent) up to the topic's end now; returns them and the offsets to start from next time."""
    partitions = [TopicPartition(topic, p) for p in range(next(t for t in all_topics() if t.name == topic).partitions)]
    consumer = AIOKafkaConsumer(**aiokafka_kwargs(settings), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(start.get(tp.partition, 0), beginnings[tp]))
        found: list[PublishedErasure] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for tp, records in (await consumer.getmany(*partitions, timeout_ms=poll_ms)).items():
                for record in records:
                    if record.offset < ends[tp] and b"ClientErased" in record.value:
                        erasure = _erasure(record.value)
                        if erasure is not None:
                            found.append(erasure)
        return found, {tp.partition: ends[tp] for tp in partitions}
    finally:
        await consumer.stop()


def _erasure(raw: bytes) -> PublishedErasure | None:
    try:
        envelope = Envelope.from_bytes(raw)
    except ContractError:
        log.warning("unreadable record on intake's own topic skipped while replaying erasures")
        return None
    if envelope.type != "ClientErased":
        return None
    return PublishedErasure(envelope.client_id, envelope.payload["basis"], envelope.event_id)
