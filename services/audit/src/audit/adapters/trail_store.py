"""The audit trail's tables in PostgreSQL (see migrations/001_audit_trail.sql)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from audit.domain.chain import Entry, Head, Record

_COLUMNS = ('seq, event_id, type, schema_version, producer, organisation, actor, client_id, occurred_at, '
            'recorded_at, topic, partition, "offset", envelope, received_at, prev_hash, hash')
_INSERT = f"INSERT INTO audit_trail ({_COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, 18))})"


async def lock_head(conn: asyncpg.Connection) -> Head:
    """The head, locked until the caller's transaction ends: appends run one at a time."""
    row = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_trail_head FOR UPDATE")
    return Head(row["last_seq"], bytes(row["last_hash"]))


async def read_head(conn: asyncpg.Connection) -> Head | None:
    """The head, or None when its row is gone (which verify reports as a break)."""
    row = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_trail_head")
    return None if row is None else Head(row["last_seq"], bytes(row["last_hash"]))


async def append(conn: asyncpg.Connection, record: Record) -> None:
    """Store `record` and move the head to it; the caller holds the head's lock."""
    e = record.entry
    await conn.execute(_INSERT, record.seq, e.event_id, e.type, e.schema_version, e.producer, e.organisation,
                       e.actor, e.client_id, e.occurred_at, e.recorded_at, e.topic, e.partition, e.offset,
                       e.envelope, e.received_at, record.prev_hash, record.hash)
    await conn.execute("UPDATE audit_trail_head SET last_seq = $1, last_hash = $2", record.seq, record.hash)


async def append_many(conn: asyncpg.Connection, records: list[Record]) -> None:
    """Store consecutive `records` and move the head to the last; the caller holds the head's lock."""
    await conn.executemany(_INSERT, [
        (r.seq, r.entry.event_id, r.entry.type, r.entry.schema_version, r.entry.producer, r.entry.organisation,
         r.entry.actor, r.entry.client_id, r.entry.occurred_at, r.entry.recorded_at, r.entry.topic,
         r.entry.partition, r.entry.offset, r.entry.envelope, r.entry.received_at, r.prev_hash, r.hash)
        for r in records])
    await conn.execute("UPDATE audit_trail_head SET last_seq = $1, last_hash = $2", records[-1].seq, records[-1].hash)


async def stream(conn: asyncpg.Connection, from_seq: int = 1) -> AsyncIterator[Record]:
    """Records from `from_seq` on, in seq order, fetched in batches; must run inside a transaction."""
    async for row in conn.cursor(f"SELECT {_COLUMNS} FROM audit_trail WHERE seq >= $1 ORDER BY seq", from_seq,
                                 prefetch=1000):
        yield _record(row)


async def fetch(conn: asyncpg.Connection, from_seq: int, limit: int) -> list[Record]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM audit_trail WHERE seq >= $1 ORDER BY seq LIMIT $2",
                            from_seq, limit)
    return [_record(r) for r in rows]


def _record(row: asyncpg.Record) -> Record:
    entry = Entry(row["event_id"], row["type"], row["schema_version"], row["producer"], row["organisation"],
                  row["actor"], row["client_id"], row["occurred_at"], row["recorded_at"], row["topic"],
                  row["partition"], row["offset"], bytes(row["envelope"]), row["received_at"])
    return Record(row["seq"], entry, bytes(row["prev_hash"]), bytes(row["hash"]))
