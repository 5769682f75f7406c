"""The idempotent consumer: apply each event once, dead-letter only what can never be applied.

For each partition's batch, one transaction records the applied `event_id`s in the inbox and holds
the handler's effects; the Kafka offset is committed only after that transaction commits. A
redelivered event finds its inbox row and is skipped.

Only what can never succeed is dead-lettered: a message that cannot be decoded, has an unknown type
or version, breaks the schema or the contract, or that a rule refuses (`backbone.errors.PERMANENT`).
It goes to the dead-letter topic with the reason and where it came from, and is NOT recorded in the
inbox, so it can be redriven after a fix (`backbone.redrive`). Everything else - a read-only
database after a failover, a full disk, a lock or statement timeout, a missing key, a record not
found, any unexpected exception - may pass later: the partition is paused and its batch retried
with backoff, without limit, while the other partitions go on; `problems()` says why (the service's
`/readyz` turns 503 with it) until the batch passes and the partition resumes. Nothing is skipped.

A per-event handler's batch is first tried in a fast pass (`backbone.writebehind`: INSERTs and
event-store appends held back and sent together, no savepoint per unit of work); whenever that pass
could differ from applying the events one at a time it is rolled back, and the batch is applied
the careful way, with a savepoint per event, which is also how a refused message is found.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from pydantic import ValidationError

from backbone.errors import PERMANENT, TRANSIENT
from backbone.writebehind import RowsAtOnce, WriteBehind, WriteBehindFailed
from contracts.envelope import Envelope
from contracts.errors import describe
from contracts.events.base import Event
from contracts.registry import CATALOGUE, Registry

log = structlog.get_logger()

DLQ_PREFIX = "dlq."
"""Headers the inbox adds to a dead letter start with this; the others are the message's own."""
CONTENT_DROPPED = b"dropped"
"""`dlq.content` of a dead letter that keeps only metadata and reason (see `Subscription.dead_letter_content`)."""
MAX_DELAY_S = 5.0
MAX_GC_PAUSE_S = 2.0
"""The longest the cyclic garbage collector stays paused for batches (see `collector_paused`)."""


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
ContentPolicy = Callable[[bytes, str], bool]


def keep_content(_raw: bytes, _topic: str) -> bool:
    """The default: a dead letter carries the message as received (envelopes hold no personal data)."""
    return True


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
    dead_letter_content: ContentPolicy = keep_content
    """May a dead letter carry this message's bytes (given the bytes and the topic)? When it says no,
    the dead letter keeps only the metadata and the reason (the `dlq.*` headers, with `dlq.content:
    dropped`): no value, no key and none of the sender's headers, for a message that may carry
    personal data in clear by mistake (intake's ingress keeps only well-formed sealed messages)."""

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
    redrives: int = 0  # how many times an operator has redriven this message already

    def delivery(self) -> Delivery:
        r = self.record
        return Delivery(self.envelope, self.event, r.topic, r.partition, r.offset, r.value)


@dataclass
class Stats:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0


@dataclass
class Stall:
    """A partition paused because its batch cannot be applied yet."""

    error: str  # the exception's type name: its text may repeat values
    since: datetime
    attempts: int = 1


@dataclass
class _Pending:
    records: list[ConsumerRecord]
    due: float
    delay: float


Outcome = Literal["applied", "already-applied", "dead-lettered-again"]


def reason(exc: BaseException) -> str:
    """Why a message is dead-lettered, in words safe to keep forever: validation errors name fields
    and problems (`describe`), never the input values pydantic's own text repeats."""
    return describe(exc) if isinstance(exc, ValidationError) else str(exc)


_gc_depth = 0  # batches under way in `collector_paused`
_gc_resume: asyncio.TimerHandle | None = None  # set while this module keeps the collector paused


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running while a batch is applied.

    A batch of hundreds of decoded messages is thousands of young objects alive at once; every
    collection in between walks them all (and the older generations now and then), which cost more
    than the decoding itself. Paused, the batch's objects are freed by reference counting when it is
    done and no collection ever sees them. Only memory management changes: the collector is resumed
    when the last batch under way ends, or after `MAX_GC_PAUSE_S` whatever happens (a batch that
    waits long for the database), and it is never touched when something else had turned it off.
    """
    global _gc_depth, _gc_resume
    if _gc_depth == 0 and _gc_resume is None and gc.isenabled():
        gc.disable()
        _gc_resume = asyncio.get_running_loop().call_later(MAX_GC_PAUSE_S, _resume_collector)
    _gc_depth += 1
    try:
        yield
    finally:
        _gc_depth -= 1
        if _gc_depth == 0:
            _resume_collector()


def _resume_collector() -> None:
    global _gc_resume
    if _gc_resume is not None:
        _gc_resume.cancel()
        _gc_resume = None
        gc.enable()


async def _renew_connections_after(pool: asyncpg.Pool, exc: BaseException) -> None:
    """A read-only server (a standby after a failover) keeps answering read-only on the connections
    already open to it: renew them, so the retry reaches whichever server is now the primary."""
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        await pool.expire_connections()


class InboxConsumer:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: dict[str, Any], *, service: str,
                 subscription: Subscription, dead_letter_topic: str, registry: Registry = CATALOGUE,
                 max_records: int = 500) -> None:
        self.pool, self.producer, self.kafka, self.service = pool, producer, kafka, service
        self.sub, self.dlq, self.registry = subscription, dead_letter_topic, registry
        self.max_records = max_records
        self.group = f"{service}.{subscription.name}"
        self.stats = Stats()
        self.stalled: dict[TopicPartition, Stall] = {}
        self._pending: dict[TopicPartition, _Pending] = {}
        self._rows_at_once = RowsAtOnce()  # what the fast pass learnt of this database's tables

    def problems(self) -> list[str]:
        """Why this consumer is not keeping up right now (empty when it is), without any values."""
        return [f"consumer {self.group}: {tp.topic}[{tp.partition}] paused since {s.since.isoformat()}, "
                f"retrying ({s.attempts} attempts): {s.error}" for tp, s in sorted(self.stalled.items())]

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
                delay = min(delay * 2, MAX_DELAY_S)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(**self.kafka, group_id=self.group, enable_auto_commit=False,
                                    auto_offset_reset="earliest", max_poll_records=self.max_records)
        consumer.subscribe(self.sub.topics, listener=_ForgetRevoked(self))
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
                for tp, records in batches.items():
                    if tp in self._pending:  # fetched before the pause took effect: keep the order
                        self._pending[tp].records.extend(records)
                        continue
                    await self._attempt(consumer, tp, records)
                now = time.monotonic()
                for tp, pending in list(self._pending.items()):
                    if pending.due <= now and tp in consumer.assignment():
                        await self._attempt(consumer, tp, pending.records)
        finally:
            self._pending.clear()
            self.stalled.clear()
            await consumer.stop()

    async def _attempt(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        """Try a partition's batch once; on a failure that may pass, pause the partition and retry later."""
        try:
            await self.try_once(records)
        except Exception as exc:  # noqa: BLE001 - not a permanent refusal (those are dead-lettered): retry it
            await _renew_connections_after(self.pool, exc)
            self._stall(consumer, tp, records, exc)
            return
        try:
            await consumer.commit({tp: records[-1].offset + 1})
        except CommitFailedError:  # partition moved: the new owner's inbox drops repeats
            log.warning("offset commit failed after rebalance", topic=tp.topic, partition=tp.partition)
        if self._pending.pop(tp, None) is not None:
            stall = self.stalled.pop(tp, None)
            consumer.resume(tp)
            log.warning("partition resumed: its messages are applied", consumer=self.group, topic=tp.topic,
                        partition=tp.partition, attempts=stall.attempts if stall else None)

    def _stall(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord],
               exc: BaseException) -> None:
        self.stats.retries += 1
        pending = self._pending.get(tp)
        delay = 0.05 if pending is None else min(pending.delay * 2, MAX_DELAY_S)
        self._pending[tp] = _Pending(records, time.monotonic() + delay, delay)
        stall = self.stalled.get(tp)
        error = type(exc).__name__
        if stall is None:
            consumer.pause(tp)
            self.stalled[tp] = Stall(error, datetime.now(UTC))
            log.error("partition paused: its batch cannot be applied yet, retrying without limit",
                      consumer=self.group, topic=tp.topic, partition=tp.partition, offset=records[0].offset,
                      error=error)
        else:
            stall.attempts += 1
            if stall.error != error or stall.attempts % 20 == 0:
                log.error("partition still paused, retrying", consumer=self.group, topic=tp.topic,
                          partition=tp.partition, offset=records[0].offset, error=error, attempts=stall.attempts)
            stall.error = error

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply one partition's batch; returns only when every record is applied or dead-lettered."""
        delay = 0.05
        while True:
            try:
                await self.try_once(records)
                return
            except Exception as exc:  # noqa: BLE001 - may pass: retry without limit
                await _renew_connections_after(self.pool, exc)
                log.warning("batch not applied yet, retrying", consumer=self.group, error=type(exc).__name__,
                            delay_s=delay)
            self.stats.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)

    async def try_once(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply or dead-letter every record, or raise (nothing applied) when the batch must be retried."""
        with collector_paused():
            await self._try_once(records)  # its objects are freed when it returns, before the collector resumes

    async def _try_once(self, records: Sequence[ConsumerRecord]) -> None:
        items = [self._decode(r) for r in records]
        try:
            await self._apply(items, careful=False)
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001 - a refusal or a failure somewhere in the batch: find it message by message
            await self._apply(items, careful=True)

    async def redeliver(self, record: ConsumerRecord, *, redrives: int) -> Outcome:
        """Apply one message again (an operator's redrive of a dead letter) through this subscription.

        Once only, as always: a message whose id is in the inbox is not applied again. One that is
        refused again goes back to the dead-letter topic, counting `redrives`. A failure that may
        pass raises, with nothing changed.
        """
        item = self._decode(record)
        item.redrives = redrives
        fresh = await self._apply([item], careful=True)
        if item.failure is not None:
            return "dead-lettered-again"
        return "applied" if fresh else "already-applied"

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

    async def _apply(self, items: list[_Item], *, careful: bool) -> int:
        """One transaction: record, apply, dead-letter; returns how many messages were applied."""
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
            elif self.sub.handler is not None:
                await self._apply_fast(conn, [i.delivery() for i in todo])
            else:
                await self.sub.apply(conn, [i.delivery() for i in todo])
            refused = [i.envelope.event_id for i in todo if i.failure is not None]
            if refused:  # not processed: a redrive after a fix must find no inbox row
                await conn.execute("DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
                                   self.sub.name, refused)
            dead = [i for i in items if i.failure is not None]
            await self._dead_letter(dead)  # before commit: a crash now repeats a dead letter, never loses one
        applied = len(fresh) - len(refused)
        self.stats.applied += applied
        self.stats.duplicates += sum(1 for i in items if i.failure is None) - applied
        self.stats.dead_lettered += len(dead)
        return applied

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

    async def _apply_fast(self, conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
        """The optimistic pass of a per-event handler: no savepoint per event, writes and appends held back
        and sent together (`backbone.writebehind`). Raises, so that the batch goes the careful way, when
        anything in it could differ from applying the events one by one."""
        wb = WriteBehind(conn, self._rows_at_once)
        try:
            await self.sub.apply(wb, deliveries)
            await wb.flush()
        except TRANSIENT as exc:
            if wb.spoilt is not None:  # the failure may come from what the pass held back: go carefully
                raise WriteBehindFailed(wb.spoilt) from exc
            raise
        if wb.spoilt is not None:  # e.g. a handler swallowed a failed statement: the transaction is aborted
            raise WriteBehindFailed(wb.spoilt)

    async def _handle_one(self, conn: asyncpg.Connection, item: _Item) -> None:
        try:
            async with conn.transaction():  # savepoint: a refused message leaves the others applied
                await self.sub.apply(conn, [item.delivery()])
        except PERMANENT as exc:
            item.failure, item.error = f"handler refused: {reason(exc)}", type(exc).__name__

    async def _dead_letter(self, items: list[_Item]) -> None:
        for item in items:
            r = item.record
            keep = self.sub.dead_letter_content(r.value or b"", r.topic)
            headers = [(k, v) for k, v in (r.headers or ()) if keep and not k.startswith(DLQ_PREFIX)] + [
                ("dlq.reason", item.failure.encode()[:2000]),
                ("dlq.error", (item.error or "").encode()),
                ("dlq.topic", r.topic.encode()),
                ("dlq.partition", str(r.partition).encode()),
                ("dlq.offset", str(r.offset).encode()),
                ("dlq.consumer", self.group.encode()),
                ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
                ("dlq.redrives", str(item.redrives).encode()),
            ]
            if not keep:
                headers.append(("dlq.content", CONTENT_DROPPED))
            await self.producer.send_and_wait(self.dlq, r.value if keep else b"", key=r.key if keep else None,
                                              headers=headers)
            log.warning("message dead-lettered", consumer=self.group, topic=r.topic, partition=r.partition,
                        offset=r.offset, error=item.error, content="kept" if keep else "dropped")


class _ForgetRevoked(ConsumerRebalanceListener):
    """A partition taken away is no longer retried here: its new owner starts from the committed offset."""

    def __init__(self, inbox: InboxConsumer) -> None:
        self.inbox = inbox

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        for tp in revoked:
            self.inbox._pending.pop(tp, None)  # noqa: SLF001 - the listener is part of the consumer
            self.inbox.stalled.pop(tp, None)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        return None
