"""Publishes the event store to the service's Kafka topic in position order.

One relay per service runs at a time (a session advisory lock elects it). Each round it sequences
newly committed events, sends the next batch with the idempotent producer (acks=all, key = client
id) and only then moves the published cursor. A crash between sending and moving the cursor sends
that batch again, in the same order: consumers drop the duplicates by event_id (the inbox).
Within a partition the idempotent producer refuses to write past a failed batch, so a failure
cannot leave a later event of a client on the topic ahead of an earlier one.
"""

from __future__ import annotations

import asyncio
import zlib

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from backbone import eventstore
from backbone.errors import TRANSIENT

log = structlog.get_logger()


def relay_lock_key(service: str) -> int:
    return 0x5E1A0000 + zlib.crc32(service.encode()) % 0xFFFF


class Relay:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, *, service: str, topic: str,
                 batch_size: int = 1000, idle_sleep: float = 0.02) -> None:
        self.pool, self.producer, self.service, self.topic = pool, producer, service, topic
        self.batch_size, self.idle_sleep = batch_size, idle_sleep
        self.published = 0

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
            "SELECT position, event_id, client_id, type, envelope FROM event_store "
            "WHERE position > $1 ORDER BY position LIMIT $2", cursor, self.batch_size)
        if not rows:
            return 0
        futures = [await self.producer.send(self.topic, r["envelope"], key=str(r["client_id"]).encode(),
                                            headers=[("event_type", r["type"].encode()),
                                                     ("event_id", str(r["event_id"]).encode()),
                                                     ("producer", self.service.encode())])
                   for r in rows]
        await asyncio.gather(*futures)
        await conn.execute("UPDATE event_store_cursor SET published_position = $1", rows[-1]["position"])
        self.published += len(rows)
        return len(rows)
