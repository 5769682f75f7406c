"""Publishes the event store to the service's Kafka topic in position order, each event once.

One relay per service runs at a time (a session advisory lock elects it). Each round it sequences
newly committed events, sends the next batch with the idempotent producer (acks=all, key = client
id) and only then moves the published cursor. Within a partition the idempotent producer refuses to
write past a failed batch, so a failure cannot leave a later event of a client on the topic ahead of
an earlier one.

A crash (or a failed, uncertain send) between sending and moving the cursor leaves events on the
topic that the cursor does not cover. So whenever it is not sure what reached the topic (when it
becomes the leader, and after any round that did not end with the cursor moved) the relay catches
up before it sends again: it reads its own topic from where its unpublished events can begin and
takes the event ids it finds there (the `event_id` header, matched against the store beyond the
cursor: records of other stores or of earlier runs match nothing) as published. It moves the cursor
over them and sends only the rest. "Where they can begin" is kept beside the cursor, per partition
(`published_offsets`, moved with the cursor from the offsets Kafka acknowledged; after a catch-up,
the end offsets it read to), so a catch-up reads just what was written after the last cursor move:
a batch or so of its own, unless something else writes the topic too (tests and benchmarks on a
shared deployment), when it reads all of that once (it times out only when nothing comes).
A partition added since is read from its beginning; a store whose offsets are not known yet (an
older relay published it) is read one batch back per partition. The relay never takes an event as
published without having read it on the topic: what it cannot see (deleted by retention, or beyond
that one batch) is sent again, and consumers drop such a copy by event_id (the inbox).

An event Kafka refuses for good (too large, malformed: `RECORD_REFUSED`) would stop the whole outbox
if retried: the relay parks it in `event_store_parked`, logs an alert naming its position, id and
type, and goes on. Appends refuse oversize events in the first place (eventstore.MAX_EVENT_BYTES);
a parked event means a producer or a topic changed its limit, and an operator looks at it.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from backbone import eventstore
from backbone.errors import RECORD_REFUSED, TRANSIENT

log = structlog.get_logger()


def relay_lock_key(service: str) -> int:
    return 0x5E1A0000 + zlib.crc32(service.encode()) % 0xFFFF


class Relay:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, *, service: str, topic: str,
                 kafka: Mapping[str, Any], batch_size: int = 1000, idle_sleep: float = 0.02,
                 catch_up_timeout: float = 60.0) -> None:
        """`kafka`: the aiokafka connection arguments of the service's principal (backbone.kafka), which
        reads its own topic back to catch up; a catch-up that reads nothing for `catch_up_timeout`
        seconds fails (and is retried)."""
        self.pool, self.producer, self.service, self.topic = pool, producer, service, topic
        self.kafka, self.batch_size, self.idle_sleep = dict(kafka), batch_size, idle_sleep
        self.catch_up_timeout = catch_up_timeout
        self.published = 0
        self.parked = 0
        self.found_on_topic = 0  # unpublished events a catch-up found already on the topic
        self._unsure = True  # what reached the topic beyond the cursor is not known: catch up first
        self._bounds: list[int] = []  # published_offsets, as this leader keeps them
        self._on_topic: set[UUID] = set()  # found on the topic beyond the cursor after a gap: not sent again

    async def run(self) -> None:
        """Run until cancelled: wait to be the leader, then relay; transient faults back off and retry."""
        delay = 0.1
        while True:
            try:
                async with self.pool.acquire() as leader:
                    await leader.execute("SELECT pg_advisory_lock($1)", relay_lock_key(self.service))
                    try:
                        await self._lead(leader)
                    finally:
                        await leader.execute("SELECT pg_advisory_unlock($1)", relay_lock_key(self.service))
            except TRANSIENT as exc:
                log.warning("relay interrupted, retrying", error=type(exc).__name__, delay_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        self._unsure = True  # another leader may have published since this one last led
        while True:
            sent = await self.step(conn)
            if sent == 0:
                await asyncio.sleep(self.idle_sleep)

    async def step(self, conn: asyncpg.Connection) -> int:
        """One round: sequence, catch up if unsure, publish one batch, move the cursor. Returns the
        events the round took past the cursor (sent, parked, or found on the topic)."""
        await eventstore.sequence(conn)
        if self._unsure:
            await self.catch_up(conn)
        cursor = await conn.fetchval("SELECT published_position FROM event_store_cursor")
        rows = await conn.fetch(
            "SELECT position, event_id, client_id, type, envelope FROM event_store e "
            "WHERE position > $1 AND NOT EXISTS (SELECT 1 FROM event_store_parked p WHERE p.position = e.position) "
            "ORDER BY position LIMIT $2", cursor, self.batch_size)
        if not rows:
            return 0
        self._unsure = True  # until the cursor has moved over what this round sends
        sent = []
        for r in rows:
            if r["event_id"] in self._on_topic:
                continue
            try:
                sent.append((r, await self.producer.send(
                    self.topic, r["envelope"], key=str(r["client_id"]).encode(),
                    headers=[("event_type", r["type"].encode()), ("event_id", str(r["event_id"]).encode()),
                             ("producer", self.service.encode())])))
            except RECORD_REFUSED as exc:  # refused before sending (larger than max_request_size)
                await self._park(conn, r, exc)
        results = await asyncio.gather(*(future for _, future in sent), return_exceptions=True)
        failure = None
        for (r, _), result in zip(sent, results, strict=True):
            if isinstance(result, RECORD_REFUSED):
                await self._park(conn, r, result)
            elif isinstance(result, BaseException):
                failure = failure or result
        if failure is not None:  # caught up with, then the rest again from the cursor; parked ones stay out
            raise failure
        self._on_topic.difference_update(r["event_id"] for r in rows)
        if not self._on_topic:  # else the bounds stay before those records until the cursor passes them
            for result in results:
                if not isinstance(result, BaseException):
                    self._raise_bound(result.partition, result.offset + 1)
        await conn.execute("UPDATE event_store_cursor SET published_position = $1, published_offsets = $2",
                           rows[-1]["position"], self._bounds)
        self._unsure = False
        self.published += sum(not isinstance(result, BaseException) for result in results)
        return len(rows)

    def _raise_bound(self, partition: int, offset: int) -> None:
        if partition >= len(self._bounds):
            self._bounds.extend([0] * (partition + 1 - len(self._bounds)))
        self._bounds[partition] = max(self._bounds[partition], offset)

    async def catch_up(self, conn: asyncpg.Connection) -> int:
        """Read what reached the topic beyond the cursor, move the cursor over it (and over parked events
        between), and remember the rest of it (after a gap) so as not to send it again. Returns the
        number of unpublished events found on the topic."""
        cursor, known = await conn.fetchrow(
            "SELECT published_position, published_offsets FROM event_store_cursor")
        partitions = sorted(await self.producer.partitions_for(self.topic))
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer = AIOKafkaConsumer(**self.kafka, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            begin, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
            start = {tp: min(max(self._start(tp.partition, known, end[tp]), begin[tp]), end[tp]) for tp in tps}
            seen = await self._read(consumer, start, end)
        finally:
            await consumer.stop()

        found = {r["position"]: r["event_id"] for r in await conn.fetch(
            "SELECT position, event_id FROM event_store WHERE position > $1 AND event_id = ANY($2::uuid[])",
            cursor, list(seen))}
        moved_to = cursor
        if found:
            for r in await conn.fetch(
                    "SELECT e.position, p.position IS NOT NULL AS parked FROM event_store e "
                    "LEFT JOIN event_store_parked p ON p.position = e.position "
                    "WHERE e.position > $1 AND e.position <= $2 ORDER BY e.position", cursor, max(found)):
                if r["position"] != moved_to + 1 or not (r["parked"] or r["position"] in found):
                    break
                moved_to = r["position"]
        self._on_topic = {event_id for position, event_id in found.items() if position > moved_to}
        self._bounds = [end[tp] for tp in tps]
        for event_id in self._on_topic:  # read them again on the next catch-up, should one come first
            partition, offset = seen[event_id]
            self._bounds[partition] = min(self._bounds[partition], offset)
        if found:  # else the stored offsets stay as they are (lower, still true) until the cursor moves
            await conn.execute("UPDATE event_store_cursor SET published_position = $1, published_offsets = $2",
                               moved_to, self._bounds)
        self._unsure = False
        self.found_on_topic += len(found)
        if found:
            log.warning("relay found events beyond its cursor already on the topic: not sending them again",
                        service=self.service, found=len(found), cursor_from=cursor, cursor_to=moved_to,
                        after_a_gap=len(self._on_topic))
        return len(found)

    def _start(self, partition: int, known: Sequence[int] | None, end: int) -> int:
        if known is None:  # not known: an older relay left at most one batch beyond its cursor
            return end - self.batch_size
        return known[partition] if partition < len(known) else 0  # a partition added since: all of it

    async def _read(self, consumer: AIOKafkaConsumer, start: dict[TopicPartition, int],
                    end: dict[TopicPartition, int]) -> dict[UUID, tuple[int, int]]:
        """The event ids of the records in [start, end) of each partition -> (partition, offset)."""
        todo = {tp for tp in start if start[tp] < end[tp]}
        seen: dict[UUID, tuple[int, int]] = {}
        if not todo:
            return seen
        consumer.assign(sorted(todo))
        for tp in todo:
            consumer.seek(tp, start[tp])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.catch_up_timeout  # without progress: a long read goes on while it reads
        while todo:
            if loop.time() > deadline:
                raise asyncio.TimeoutError(f"relay catch-up: nothing read from {self.topic} for a while")
            batches = await consumer.getmany(*todo, timeout_ms=500)
            if batches:
                deadline = loop.time() + self.catch_up_timeout
            for tp, records in batches.items():
                for record in records:
                    event_id = _event_id(record.headers) if record.offset < end[tp] else None
                    if event_id is not None:
                        seen[event_id] = (tp.partition, record.offset)
            for tp in list(todo):
                if await consumer.position(tp) >= end[tp]:
                    todo.discard(tp)
                    consumer.pause(tp)
        return seen

    async def _park(self, conn: asyncpg.Connection, row: asyncpg.Record, exc: BaseException) -> None:
        await conn.execute(
            "INSERT INTO event_store_parked (position, event_id, type, size, error) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT DO NOTHING", row["position"], row["event_id"], row["type"], len(row["envelope"]),
            type(exc).__name__)
        self.parked += 1
        log.critical("event parked: Kafka refuses it for good, the relay goes on without it", alert=True,
                     service=self.service, position=row["position"], event_id=str(row["event_id"]),
                     event_type=row["type"], size=len(row["envelope"]), error=type(exc).__name__)


def _event_id(headers: Sequence[tuple[str, bytes]]) -> UUID | None:
    for name, value in headers:
        if name == "event_id":
            try:
                return UUID(value.decode())
            except (ValueError, UnicodeDecodeError):
                return None
    return None
