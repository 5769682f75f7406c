"""The idempotent consumer: apply each event once, dead-letter what can never be applied.

For each partition's batch, one transaction records the applied `event_id`s in the inbox and holds
the handler's effects; the Kafka offset is committed only after that transaction commits. A
redelivered event finds its inbox row and is skipped. A message that cannot be decoded, has an
unknown type or version, an invalid payload, or whose handler refuses it for good is published to
the dead-letter topic with the reason and where it came from, before the offset moves on. A
dependency that is down (database, broker) is waited out with backoff: nothing is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import CommitFailedError
from pydantic import ValidationError

from backbone.errors import PERMANENT, TRANSIENT
from contracts.envelope import Envelope
from contracts.errors import describe
from contracts.events.base import Event
from contracts.registry import CATALOGUE, Registry

log = structlog.get_logger()

@dataclass(frozen=True)
class Delivery:
    """One decoded message and where it came from."""

    envelope: Envelope  # or what the subscription's own `decoder` made of the bytes
    event: Event | None  # None when the subscription does not decode payloads
    topic: str
    partition: int
    offset: int
    value: bytes  # the bytes exactly as received


Handler = Callable[[asyncpg.Connection, Envelope, Event], Awaitable[None]]
BatchHandler = Callable[[asyncpg.Connection, Sequence[Delivery]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A named consumer of some topics; `name` keys its inbox rows and its consumer group.

    Give `handler` (one event at a time) or `batch_handler` (a partition's new events at once, in
    order: one statement can apply them all). Either runs inside the inbox's transaction.
    """

    name: str
    topics: tuple[str, ...]
    handler: Handler | None = None
    batch_handler: BatchHandler | None = None
    decode_payloads: bool = True
    """False: check only the envelope, so events of types or versions this service does not know yet
    are still handled (`event` is then None). The audit trail records everything it receives."""
    decoder: Callable[[bytes, str], Any] | None = None
    """For topics that carry something other than envelopes (intake's ingress topics): turns the bytes
    and the topic into a message with an `event_id`, which the inbox records, or raises a
    `ContractError` to dead-letter them. The message is handed to the handler as `Delivery.envelope`,
    `event` None, and `decode_payloads` does not apply."""

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.batch_handler is None):
            raise ValueError(f"subscription {self.name}: give exactly one of handler and batch_handler")

    async def apply(self, conn: asyncpg.Connection, items: Sequence[Delivery]) -> None:
        if self.batch_handler is not None:
            await self.batch_handler(conn, items)
            return
        for d in items:
            await self.handler(conn, d.envelope, d.event)


@dataclass
class _Item:
    record: ConsumerRecord
    envelope: Envelope | None = None
    event: Event | None = None
    failure: str | None = None  # set when the message goes to the dead-letter topic
    error: str | None = None

    def delivery(self) -> Delivery:
        r = self.record
        return Delivery(self.envelope, self.event, r.topic, r.partition, r.offset, r.value)


@dataclass
class Stats:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0
    attempts: dict[Any, int] = field(default_factory=dict)


def reason(exc: BaseException) -> str:
    """Why a message is dead-lettered, in words safe to keep forever: validation errors name fields
    and problems (`describe`), never the input values pydantic's own text repeats."""
    return describe(exc) if isinstance(exc, ValidationError) else str(exc)


class _Retry(Exception):
    """A handler failed in a way that may pass; retry the batch after a pause."""


class InboxConsumer:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: dict[str, Any], *, service: str,
                 subscription: Subscription, dead_letter_topic: str, registry: Registry = CATALOGUE,
                 max_records: int = 500, max_attempts: int = 5) -> None:
        self.pool, self.producer, self.kafka, self.service = pool, producer, kafka, service
        self.sub, self.dlq, self.registry = subscription, dead_letter_topic, registry
        self.max_records, self.max_attempts = max_records, max_attempts
        self.group = f"{service}.{subscription.name}"
        self.stats = Stats()

    async def run(self) -> None:
        """Consume until cancelled; a broker that goes away is waited for, from the committed offsets."""
        delay = 0.2
        while True:
            try:
                await self._consume()
            except TRANSIENT as exc:
                log.warning("consumer interrupted, restarting", consumer=self.group, error=type(exc).__name__,
                            delay_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(*self.sub.topics, **self.kafka, group_id=self.group, enable_auto_commit=False,
                                    auto_offset_reset="earliest", max_poll_records=self.max_records)
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
                for tp, records in batches.items():
                    await self.process(records)
                    try:
                        await consumer.commit({tp: records[-1].offset + 1})
                    except CommitFailedError:  # partition moved: the new owner's inbox drops repeats
                        log.warning("offset commit failed after rebalance", topic=tp.topic, partition=tp.partition)
        finally:
            await consumer.stop()

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply one partition's batch; returns only when every record is applied or dead-lettered."""
        items = [self._decode(r) for r in records]
        delay, careful = 0.05, False
        while True:
            try:
                await self._apply(items, careful=careful)
                return
            except _Retry:
                careful = True
            except TRANSIENT as exc:
                log.warning("transient failure, retrying batch", consumer=self.group, error=type(exc).__name__,
                            delay_s=delay)
            except Exception as exc:  # noqa: BLE001 - a refusal or a bug somewhere in the batch
                if not careful:
                    careful = True  # find the culprit message by message, with savepoints
                    continue
                log.error("batch failed outside any handler, retrying", consumer=self.group,
                          error=type(exc).__name__)
            self.stats.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _decode(self, record: ConsumerRecord) -> _Item:
        item = _Item(record)
        try:
            if self.sub.decoder is not None:
                item.envelope = self.sub.decoder(record.value or b"", record.topic)
                return item
            item.envelope = Envelope.from_bytes(record.value or b"")
            if self.sub.decode_payloads:
                item.event = self.registry.decode(item.envelope)
        except PERMANENT as exc:
            item.failure, item.error = reason(exc), type(exc).__name__
        return item

    async def _apply(self, items: list[_Item], *, careful: bool) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await self._record_in_inbox(conn, [i for i in items if i.failure is None])
            pending = set(fresh)  # a batch may hold the same event twice: apply its first copy only
            todo = []
            for item in items:
                if item.failure is None and item.envelope.event_id in pending:
                    pending.discard(item.envelope.event_id)
                    todo.append(item)
            if careful:
                for item in todo:
                    await self._handle_one(conn, item)
            else:
                await self.sub.apply(conn, [i.delivery() for i in todo])
            dead = [i for i in items if i.failure is not None]
            await self._dead_letter(dead)  # before commit: a crash now repeats a dead letter, never loses one
        applied = len(fresh) - sum(1 for i in dead if i.envelope is not None and i.envelope.event_id in fresh)
        self.stats.applied += applied
        self.stats.duplicates += sum(1 for i in items if i.failure is None) - applied
        self.stats.dead_lettered += len(dead)

    async def _record_in_inbox(self, conn: asyncpg.Connection, items: list[_Item]) -> set:
        if not items:
            return set()
        rows = await conn.fetch(
            """INSERT INTO inbox (consumer, event_id, topic, partition, "offset")
               SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[])
               ON CONFLICT DO NOTHING RETURNING event_id""",
            self.sub.name, [i.envelope.event_id for i in items], [i.record.topic for i in items],
            [i.record.partition for i in items], [i.record.offset for i in items])
        return {r["event_id"] for r in rows}

    async def _handle_one(self, conn: asyncpg.Connection, item: _Item) -> None:
        try:
            async with conn.transaction():  # savepoint: a refused message leaves the others applied
                await self.sub.apply(conn, [item.delivery()])
        except PERMANENT as exc:
            item.failure, item.error = f"handler refused: {reason(exc)}", type(exc).__name__
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001 - an unexpected error: retry a few times, then give up on it
            key = item.envelope.event_id
            self.stats.attempts[key] = self.stats.attempts.get(key, 0) + 1
            if self.stats.attempts[key] < self.max_attempts:
                log.warning("handler failed, will retry", consumer=self.group, event_id=str(key),
                            error=type(exc).__name__)
                raise _Retry from exc
            item.failure = f"handler failed {self.max_attempts} times: {type(exc).__name__} (see the service's log)"
            item.error = type(exc).__name__

    async def _dead_letter(self, items: list[_Item]) -> None:
        for item in items:
            r = item.record
            headers = list(r.headers or ()) + [
                ("dlq.reason", item.failure.encode()[:2000]),
                ("dlq.error", (item.error or "").encode()),
                ("dlq.topic", r.topic.encode()),
                ("dlq.partition", str(r.partition).encode()),
                ("dlq.offset", str(r.offset).encode()),
                ("dlq.consumer", self.group.encode()),
                ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
            ]
            await self.producer.send_and_wait(self.dlq, r.value, key=r.key, headers=headers)
            log.warning("message dead-lettered", consumer=self.group, topic=r.topic, partition=r.partition,
                        offset=r.offset, error=item.error)


