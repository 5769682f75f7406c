"""The audit trail's tables in PostgreSQL (see migrations/001_audit_trail.sql)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg

from audit.domain.chain import Entry, Head, Record

_COLUMNS = ('seq, event_id, type, schema_version, producer, organisation, actor, client_id, occurred_at, '
            'recorded_at, topic, partition, "offset", envelope, received_at, prev_hash, hash')
_INSERT = f"INSERT INTO audit_trail ({_COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, 18))})"


async def lock_head(conn: asyncpg.Connection) -> Head:
    """The head, locked until the caller's transaction ends: appends run one at a time."""
    row = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_trail_head FOR UPDATE")
    return Head(row["last_seq"], bytes(row["last_hash"]))


async def read_head(conn: asyncpg.Connection) -> Head:
    row = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_trail_head")
    return Head(row["last_seq"], bytes(row["last_hash"]))


async def append(conn: asyncpg.Connection, record: Record) -> None:
    """Store `record` and move the head to it; the caller holds the head's lock."""
    e = record.entry
    await conn.execute(_INSERT, record.seq, e.event_id, e.type, e.schema_version, e.producer, e.organisation,
                       e.actor, e.client_id, e.occurred_at, e.recorded_at, e.topic, e.partition, e.offset,
                       e.envelope, e.received_at, record.prev_hash, record.hash)
    await conn.execute("UPDATE audit_trail_head SET last_seq = $1, last_hash = $2", record.seq, record.hash)


async def stream(conn: asyncpg.Connection, from_seq: int = 1) -> AsyncIterator[Record]:
    """Records from `from_seq` on, in seq order, fetched in batches; must run inside a transaction."""
    async for row in conn.cursor(f"SELECT {_COLUMNS} FROM audit_trail WHERE seq >= $1 ORDER BY seq", from_seq,
                                 prefetch=1000):
        yield _record(row)


async def fetch(conn: asyncpg.Connection, from_seq: int, limit: int) -> list[Record]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM audit_trail WHERE seq >= $1 ORDER BY seq LIMIT $2",
                            from_seq, limit)
    return [_record(r) for r in rows]


async def delivery(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> tuple[str, int, int]:
    """Where the event being handled came from (topic, partition, offset).

    The inbox consumer records it in the inbox row it writes just before calling the handler,
    in the same transaction; the handler itself is not given the Kafka record.
    """
    row = await conn.fetchrow('SELECT topic, partition, "offset" FROM inbox WHERE consumer = $1 AND event_id = $2',
                              consumer, event_id)
    if row is None:
        raise LookupError(f"no inbox row for event {event_id} of consumer {consumer}")
    return row["topic"], row["partition"], row["offset"]


def _record(row: asyncpg.Record) -> Record:
    entry = Entry(row["event_id"], row["type"], row["schema_version"], row["producer"], row["organisation"],
                  row["actor"], row["client_id"], row["occurred_at"], row["recorded_at"], row["topic"],
                  row["partition"], row["offset"], bytes(row["envelope"]), row["received_at"])
    return Record(row["seq"], entry, bytes(row["prev_hash"]), bytes(row["hash"]))
