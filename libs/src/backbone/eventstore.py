"""An append-only event store on PostgreSQL that is also the service's transactional outbox.

Appends run in the caller's transaction, beside the state they come with. Each append takes a
transaction-scoped advisory lock on its client, so one client's appends commit one after another
and their `id`s follow commit order. A single sequencer (the relay's leader) later gives committed
rows a gap-free `position` in `id` order: a row that commits late simply gets a later position,
so neither the relay nor `read_all` can skip it, and no client's events are ever reordered —
the trap of reading a sequence-numbered table by "id > last seen" does not arise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from backbone.errors import ConcurrencyError, EventTooLarge
from backbone.writebehind import WriteBehind
from contracts.envelope import Envelope

# One round trip: lock the clients (sorted, so two appends never deadlock), check the stream's
# version and insert. The locks are taken before the insert draws ids from the sequence, so one
# client's ids follow its commit order. Nothing is inserted when the version does not match.
_APPEND = """
WITH locked AS MATERIALIZED (
    SELECT count(pg_advisory_xact_lock(k)) AS n FROM (SELECT DISTINCT unnest($7::bigint[]) AS k ORDER BY 1) keys
), current AS MATERIALIZED (
    SELECT (SELECT n FROM locked) AS n,
           coalesce((SELECT max(version) FROM event_store WHERE stream_id = $1), 0) AS v
)
INSERT INTO event_store (stream_id, version, event_id, client_id, type, envelope)
SELECT $1, $2 + x.ord, x.e, x.c, x.t, x.b
FROM current, unnest($3::uuid[], $4::uuid[], $5::text[], $6::bytea[]) WITH ORDINALITY AS x(e, c, t, b, ord)
WHERE current.n > 0 AND current.v = $2
ORDER BY x.ord
RETURNING version
"""


PRODUCER_MAX_REQUEST_BYTES = 1_048_576
"""aiokafka's `max_request_size`, which the services' producers keep (backbone.app)."""
TOPIC_MAX_MESSAGE_BYTES = 1_048_588
"""Kafka's default `max.message.bytes`; contracts.topics sets no other on the event topics."""
RECORD_OVERHEAD_BYTES = 1024
"""The record batch's header, the key (a client id) and the relay's headers, with room to spare."""
MAX_EVENT_BYTES = min(PRODUCER_MAX_REQUEST_BYTES, TOPIC_MAX_MESSAGE_BYTES) - RECORD_OVERHEAD_BYTES
"""The largest envelope an append accepts: anything bigger could never be published."""


@dataclass(frozen=True)
class StoredEvent:
    position: int | None
    stream_id: UUID
    version: int
    envelope: Envelope


def _client_lock_key(client_id: UUID) -> int:
    return int.from_bytes(client_id.bytes[:8], "big", signed=True)


async def append(conn: asyncpg.Connection, stream_id: UUID, expected_version: int,
                 envelopes: Sequence[Envelope]) -> int:
    """Append after `expected_version` (0 = new stream); returns the stream's new version.

    Must run inside the caller's transaction. Raises ConcurrencyError when another writer got there
    first; the caller rolls its transaction back and retries the command. Raises EventTooLarge (a
    `Rejected`, rule `event.size`) for an envelope over MAX_EVENT_BYTES, which Kafka would refuse.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("append must run inside the unit of work's transaction")
    if not envelopes:
        return expected_version
    encoded = [e.to_bytes() for e in envelopes]
    for envelope, raw in zip(envelopes, encoded, strict=True):
        if len(raw) > MAX_EVENT_BYTES:
            raise EventTooLarge(envelope.type, len(raw), MAX_EVENT_BYTES)
    lock_keys = [_client_lock_key(e.client_id) for e in envelopes]
    if isinstance(conn, WriteBehind):  # the inbox's fast pass: written with the batch's other appends
        queued = await conn.append(stream_id, expected_version, envelopes, encoded, lock_keys)
        if queued is not None:
            return queued
    try:
        inserted = await conn.fetch(_APPEND, stream_id, expected_version, [e.event_id for e in envelopes],
                                    [e.client_id for e in envelopes], [e.type for e in envelopes], encoded,
                                    lock_keys)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "event_store_stream_id_version_key":
            raise ConcurrencyError(stream_id, expected_version, None) from exc
        raise
    if len(inserted) != len(envelopes):
        actual = await conn.fetchval("SELECT coalesce(max(version), 0) FROM event_store WHERE stream_id = $1",
                                     stream_id)
        raise ConcurrencyError(stream_id, expected_version, actual)
    return expected_version + len(envelopes)


def _row(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(row["position"], row["stream_id"], row["version"], Envelope.from_bytes(row["envelope"]))


async def lock_streams(conn: asyncpg.Connection, client_ids: Sequence[UUID]) -> None:
    """Take the transaction-scoped locks `append` takes, for several clients in one fixed (sorted) order.

    A command that changes two clients takes both first: appending to each in turn would lock them in
    the order of the request, and two requests naming the same pair in opposite order would deadlock.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("lock_streams must run inside the unit of work's transaction")
    await conn.execute("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT unnest($1::bigint[]) AS k "
                       "ORDER BY 1) keys", [_client_lock_key(c) for c in client_ids])


async def read_stream(conn: asyncpg.Connection, stream_id: UUID, after_version: int = 0) -> list[StoredEvent]:
    rows = await conn.fetch("SELECT position, stream_id, version, envelope FROM event_store "
                            "WHERE stream_id = $1 AND version > $2 ORDER BY version", stream_id, after_version)
    return [_row(r) for r in rows]


async def read_all(conn: asyncpg.Connection, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
    """Sequenced events in commit order after `after_position`; positions have no gaps."""
    rows = await conn.fetch("SELECT position, stream_id, version, envelope FROM event_store "
                            "WHERE position > $1 ORDER BY position LIMIT $2", after_position, limit)
    return [_row(r) for r in rows]


async def sequence(conn: asyncpg.Connection, limit: int = 5000) -> int:
    """Give committed, unsequenced rows the next positions in id order; returns how many.

    Only the relay's leader calls this (it holds the service's relay advisory lock).
    """
    # A read first: an idle relay polls often, and the locking transaction below writes WAL.
    if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM event_store WHERE position IS NULL)"):
        return 0
    async with conn.transaction():
        last = await conn.fetchval("SELECT last_position FROM event_store_cursor FOR UPDATE")
        done = await conn.fetchval("""
            WITH todo AS (
                SELECT id, $1::bigint + row_number() OVER (ORDER BY id) AS pos
                FROM event_store WHERE position IS NULL ORDER BY id LIMIT $2
            ), upd AS (
                UPDATE event_store e SET position = todo.pos FROM todo WHERE e.id = todo.id RETURNING todo.pos
            )
            SELECT max(pos) FROM upd""", last, limit)
        if done is None:
            return 0
        await conn.execute("UPDATE event_store_cursor SET last_position = $1", done)
        return done - last
