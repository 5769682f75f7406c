"""The anchor topic on Kafka: publish one anchor, read them all back (no consumer group needed)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.topics import ANCHOR_TOPIC

KEY = b"audit"


async def publish(producer: AIOKafkaProducer, message: bytes) -> None:
    await producer.send_and_wait(ANCHOR_TOPIC, message, key=KEY)


async def read_all(kafka: dict[str, Any], timeout_s: float = 20.0) -> list[bytes]:
    """Every message on the anchor topic, oldest first, up to the end it had when reading began."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest",
                                request_timeout_ms=int(timeout_s * 1000))
    await consumer.start()
    try:
        partitions = [TopicPartition(ANCHOR_TOPIC, p) for p in sorted(consumer.partitions_for_topic(ANCHOR_TOPIC)
                                                                       or await _partitions(consumer))]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages: list[bytes] = []
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=int(timeout_s * 1000))
            if not batch:
                raise TimeoutError("the anchor topic did not answer in time")
            for tp, records in batch.items():
                messages += [r.value for r in records if r.offset < ends[tp]]
                if records and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
        return messages
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka's way to learn a topic's partitions
    found = consumer.partitions_for_topic(ANCHOR_TOPIC)
    if not found:
        raise LookupError(f"topic {ANCHOR_TOPIC} does not exist or audit may not describe it")
    return found
