"""Publishes the event store to the service's Kafka topic in position order.

One relay per service runs at a time (a session advisory lock elects it). Each round it sequences
newly committed events, sends the next batch with the idempotent producer (acks=all, key = client
id) and only then moves the published cursor. A crash between sending and moving the cursor sends
that batch again, in the same order: consumers drop the duplicates by event_id (the inbox).
Within a partition the idempotent producer refuses to write past a failed batch, so a failure
cannot leave a later event of a client on the topic ahead of an earlier one.

An event Kafka refuses for good (too large, malformed: `RECORD_REFUSED`) would stop the whole outbox
if retried: the relay parks it in `event_store_parked`, logs an alert naming its position, id and
type, and goes on. Appends refuse oversize events in the first place (eventstore.MAX_EVENT_BYTES);
a parked event means a producer or a topic changed its limit, and an operator looks at it.
"""

from __future__ import annotations

import asyncio
import zlib

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from backbone import eventstore
from backbone.errors import RECORD_REFUSED, TRANSIENT

log = structlog.get_logger()


def relay_lock_key(service: str) -> int:
    return 0x5E1A0000 + zlib.crc32(service.encode()) % 0xFFFF


class Relay:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, *, service: str, topic: str,
                 batch_size: int = 1000, idle_sleep: float = 0.02) -> None:
        self.pool, self.producer, self.service, self.topic = pool, producer, service, topic
        self.batch_size, self.idle_sleep = batch_size, idle_sleep
        self.published = 0
        self.parked = 0

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
        while True:
            sent = await self.step(conn)
            if sent == 0:
                await asyncio.sleep(self.idle_sleep)

    async def step(self, conn: asyncpg.Connection) -> int:
        """One round: sequence, publish one batch, move the cursor. Returns events published."""
        await eventstore.sequence(conn)
        cursor = await conn.fetchval("SELECT published_position FROM event_store_cursor")
        rows = await conn.fetch(
            "SELECT position, event_id, client_id, type, envelope FROM event_store e "
            "WHERE position > $1 AND NOT EXISTS (SELECT 1 FROM event_store_parked p WHERE p.position = e.position) "
            "ORDER BY position LIMIT $2", cursor, self.batch_size)
        if not rows:
            return 0
        parked_before, sent = self.parked, []
        for r in rows:
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
        if failure is not None:  # the batch again from the cursor; what is parked stays out of it
            raise failure
        await conn.execute("UPDATE event_store_cursor SET published_position = $1", rows[-1]["position"])
        self.published += len(rows) - (self.parked - parked_before)
        return len(rows)

    async def _park(self, conn: asyncpg.Connection, row: asyncpg.Record, exc: BaseException) -> None:
        await conn.execute(
            "INSERT INTO event_store_parked (position, event_id, type, size, error) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT DO NOTHING", row["position"], row["event_id"], row["type"], len(row["envelope"]),
            type(exc).__name__)
        self.parked += 1
        log.critical("event parked: Kafka refuses it for good, the relay goes on without it", alert=True,
                     service=self.service, position=row["position"], event_id=str(row["event_id"]),
                     event_type=row["type"], size=len(row["envelope"]), error=type(exc).__name__)
