"""Use cases of the trail: append a received event, verify the whole chain."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass

import asyncpg

from audit.adapters import trail_store
from audit.domain.chain import Break, Entry, Head, Record, Verifier, seal


async def record_event(conn: asyncpg.Connection, entry: Entry) -> Record:
    """Append `entry` to the trail inside the caller's transaction; returns the sealed record."""
    if not conn.is_in_transaction():
        raise RuntimeError("record_event must run inside the caller's transaction")
    record = seal(await trail_store.lock_head(conn), entry)
    await trail_store.append(conn, record)
    return record


async def record_events(conn: asyncpg.Connection, entries: list[Entry]) -> list[Record]:
    """Append `entries` in order inside the caller's transaction, locking the head once."""
    if not conn.is_in_transaction():
        raise RuntimeError("record_events must run inside the caller's transaction")
    if not entries:
        return []
    head = await trail_store.lock_head(conn)
    records = []
    for entry in entries:
        record = seal(head, entry)
        records.append(record)
        head = Head(record.seq, record.hash)
    await trail_store.append_many(conn, records)
    return records


@dataclass(frozen=True)
class Verification:
    """How many records held before the first break (all of them when `broken` is None)."""

    verified: int
    broken: Break | None


async def verify_trail(conn: asyncpg.Connection) -> Verification:
    """Check every record and the head, in one snapshot so concurrent appends do not interfere."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await trail_store.read_head(conn)
        verifier = Verifier(head)
        async with aclosing(trail_store.stream(conn)) as records:
            async for record in records:
                if verifier.check(record) is not None:
                    break
        broken = verifier.finish()
    if broken is None and head is None:  # the chain holds, but records cut off its end could not be seen
        broken = Break(verifier.last.seq + 1, None, "missing: the trail's head row (audit_trail_head) is gone, "
                                                    "so records cut off the end cannot be ruled out")
    return Verification(verifier.count, broken)
