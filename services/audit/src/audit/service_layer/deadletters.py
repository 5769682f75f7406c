"""Dead letters of every service: read from the dead-letter topics, kept once each, never in clear.

They are not envelopes, so they do not go through the inbox: each is stored under its place on the
dead-letter topic (topic, partition, offset, unique), and the offset is committed after the row.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from audit.adapters import console_store
from contracts.topics import SERVICES, dead_letter_topic

log = structlog.get_logger()
GROUP = "audit.deadletters"
TOPICS = tuple(dead_letter_topic(s) for s in SERVICES if s != "audit")


def service_of(topic: str) -> str:
    return topic.split(".")[1]


def _header(headers: dict[str, bytes], name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("utf-8", "replace")


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _envelope_ids(value: bytes | None) -> tuple[UUID | None, str | None, UUID | None]:
    """The event id, type and client id when the message is a readable envelope; never its payload."""
    try:
        data = json.loads(value or b"")
        return UUID(data["event_id"]), str(data["type"])[:100], UUID(data["client_id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None, None


def describe(record: ConsumerRecord, received_at: datetime) -> dict[str, Any]:
    """What is kept of a dead letter: where it came from and why, its size and digest; not its content."""
    headers = {k: v for k, v in (record.headers or ()) if k.startswith("dlq.")}
    failed = _header(headers, "dlq.failed_at")
    try:
        failed_at = datetime.fromisoformat(failed) if failed else None
    except ValueError:
        failed_at = None
    event_id, event_type, client_id = _envelope_ids(record.value)
    value = record.value or b""
    return {
        "service": service_of(record.topic), "dl_topic": record.topic, "dl_partition": record.partition,
        "dl_offset": record.offset, "origin_topic": _header(headers, "dlq.topic"),
        "origin_partition": _int(_header(headers, "dlq.partition")), "origin_offset": _int(_header(headers, "dlq.offset")),
        "consumer": _header(headers, "dlq.consumer"),
        "reason": (_header(headers, "dlq.reason") or "no reason given")[:2000],
        "error_class": _header(headers, "dlq.error"), "failed_at": failed_at, "received_at": received_at,
        "event_id": event_id, "event_type": event_type, "client_id": client_id,
        "content_sha256": hashlib.sha256(value).digest(), "content_size": len(value),
    }


async def keep(pool: asyncpg.Pool, records: Sequence[ConsumerRecord], now: datetime) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return sum([await console_store.store_dead_letter(conn, describe(r, now)) for r in records])


async def run(pool: asyncpg.Pool, kafka: dict[str, Any]) -> None:
    """Follow every dead-letter topic for ever; database or broker trouble is retried, nothing skipped."""
    consumer = AIOKafkaConsumer(*TOPICS, **kafka, group_id=GROUP, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            for tp, records in batches.items():
                while True:
                    try:
                        kept = await keep(pool, records, datetime.now(UTC))
                        break
                    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                        log.warning("dead letters not stored yet, retrying", error=type(exc).__name__)
                        await asyncio.sleep(2)
                await consumer.commit({tp: records[-1].offset + 1})
                if kept:
                    log.info("dead letters recorded", topic=tp.topic, partition=tp.partition, count=kept)
    finally:
        await consumer.stop()
