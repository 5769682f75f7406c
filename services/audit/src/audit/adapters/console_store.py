"""Read queries of the operator console over the trail and its own tables (migrations/002_console.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool
_ROW = "seq, event_id, type, schema_version, producer, organisation, actor, client_id, occurred_at, received_at, hash"


@dataclass(frozen=True)
class LogFilter:
    """What the live log shows; `organisation` is forced to an officer's own organisation."""

    type: str | None = None
    producer: str | None = None
    organisation: str | None = None
    client_id: UUID | None = None
    correlation_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self, args: list[Any]) -> str:
        clauses = []

        def add(sql: str, value: Any) -> None:
            args.append(value)
            clauses.append(sql.replace("?", f"${len(args)}"))

        if self.type:
            add("type = ?", self.type)
        if self.producer:
            add("producer = ?", self.producer)
        if self.organisation:
            add("organisation = ?", self.organisation)
        if self.client_id:
            add("client_id = ?", self.client_id)
        if self.correlation_id:
            add("convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = ?", str(self.correlation_id))
        if self.since:
            add("occurred_at >= ?", self.since)
        if self.until:
            add("occurred_at < ?", self.until)
        return " AND ".join(clauses) or "true"


async def log_rows(db: Db, f: LogFilter, *, after_seq: int = 0, before_seq: int | None = None,
                   limit: int = 100) -> list[asyncpg.Record]:
    """Matching records newest first; with `after_seq`, only those appended after it (oldest first)."""
    args: list[Any] = []
    where = f.where(args)
    if after_seq:
        args.append(after_seq)
        sql = f"SELECT {_ROW} FROM audit_trail WHERE {where} AND seq > ${len(args)} ORDER BY seq LIMIT {int(limit)}"
    else:
        if before_seq is not None:
            args.append(before_seq)
            where += f" AND seq < ${len(args)}"
        sql = f"SELECT {_ROW} FROM audit_trail WHERE {where} ORDER BY seq DESC LIMIT {int(limit)}"
    return await db.fetch(sql, *args)


async def head_seq(db: Db) -> int:
    return await db.fetchval("SELECT last_seq FROM audit_trail_head")


async def distinct_values(db: Db, column: str) -> list[str]:
    if column not in ("type", "producer", "organisation"):
        raise ValueError(column)
    return [r[0] for r in await db.fetch(f"SELECT DISTINCT {column} FROM audit_trail ORDER BY 1")]


async def event(db: Db, event_id: UUID) -> tuple[asyncpg.Record, dict] | None:
    row = await db.fetchrow(f"SELECT {_ROW}, topic, partition, \"offset\", envelope FROM audit_trail "
                            "WHERE event_id = $1", event_id)
    return None if row is None else (row, json.loads(bytes(row["envelope"])))


async def envelopes(db: Db, *, client_id: UUID | None = None, types: tuple[str, ...] | None = None,
                    organisation: str | None = None) -> list[tuple[asyncpg.Record, dict]]:
    """Records with their envelopes in trail order, for timelines, deadlines and figures."""
    args: list[Any] = []
    clauses = []
    if client_id is not None:
        args.append(client_id)
        clauses.append(f"client_id = ${len(args)}")
    if types is not None:
        args.append(list(types))
        clauses.append(f"type = ANY(${len(args)}::text[])")
    if organisation is not None:
        args.append(organisation)
        clauses.append(f"organisation = ${len(args)}")
    where = " AND ".join(clauses) or "true"
    rows = await db.fetch(f"SELECT {_ROW}, envelope FROM audit_trail WHERE {where} ORDER BY seq", *args)
    return [(r, json.loads(bytes(r["envelope"]))) for r in rows]


# Dead letters -------------------------------------------------------------------------------------
_DL = ("id, service, dl_topic, dl_partition, dl_offset, origin_topic, origin_partition, origin_offset, consumer, "
       "reason, error_class, failed_at, received_at, event_id, event_type, client_id, content_size")


async def store_dead_letter(conn: asyncpg.Connection, d: dict[str, Any]) -> bool:
    """Keep a dead letter once (by its place on the dead-letter topic); False when it was there already."""
    cols = list(d)
    done = await conn.fetchval(
        f"INSERT INTO dead_letters ({', '.join(cols)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))}) "
        "ON CONFLICT (dl_topic, dl_partition, dl_offset) DO NOTHING RETURNING true", *d.values())
    return bool(done)


async def dead_letters(db: Db, *, service: str | None = None, error_class: str | None = None,
                       origin_topic: str | None = None, limit: int = 200) -> list[asyncpg.Record]:
    args: list[Any] = []
    clauses = []
    for column, value in (("service", service), ("error_class", error_class), ("origin_topic", origin_topic)):
        if value:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    where = " AND ".join(clauses) or "true"
    return await db.fetch(
        f"SELECT {_DL}, (SELECT outcome FROM redrive_requests r WHERE r.dead_letter = d.id ORDER BY r.id DESC "
        f"LIMIT 1) AS last_redrive FROM dead_letters d WHERE {where} ORDER BY id DESC LIMIT {int(limit)}", *args)


async def dead_letter(db: Db, dead_letter_id: int) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {_DL} FROM dead_letters WHERE id = $1", dead_letter_id)


async def dead_letter_counts(db: Db) -> list[asyncpg.Record]:
    return await db.fetch("SELECT service, count(*) AS n, max(received_at) AS latest FROM dead_letters "
                          "GROUP BY service ORDER BY service")


async def redrives(db: Db, dead_letter_id: int) -> list[asyncpg.Record]:
    return await db.fetch("SELECT id, requested_by, requested_at, outcome, detail, answered_at FROM redrive_requests "
                          "WHERE dead_letter = $1 ORDER BY id", dead_letter_id)


async def open_redrive(db: Db, dead_letter_id: int, requested_by: str, at: datetime) -> int:
    return await db.fetchval("INSERT INTO redrive_requests (dead_letter, requested_by, requested_at) "
                             "VALUES ($1, $2, $3) RETURNING id", dead_letter_id, requested_by, at)


async def close_redrive(db: Db, request_id: int, outcome: str, detail: str, at: datetime) -> None:
    await db.execute("UPDATE redrive_requests SET outcome = $2, detail = $3, answered_at = $4 WHERE id = $1",
                     request_id, outcome, detail[:500], at)


# Lag ----------------------------------------------------------------------------------------------
async def store_lag(conn: asyncpg.Connection, at: datetime, rows: list[tuple[str, str, int, int | None, int, int]],
                    keep_from: datetime) -> None:
    await conn.executemany("INSERT INTO lag_samples (sampled_at, group_id, topic, partition, committed, end_offset, "
                           "lag) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                           [(at, *r) for r in rows])
    await conn.execute("DELETE FROM lag_samples WHERE sampled_at < $1", keep_from)


async def lag_since(db: Db, since: datetime) -> list[asyncpg.Record]:
    """Total lag per consumer group at each sample time since `since`."""
    return await db.fetch("SELECT sampled_at, group_id, sum(lag)::bigint AS lag FROM lag_samples "
                          "WHERE sampled_at >= $1 GROUP BY sampled_at, group_id ORDER BY sampled_at", since)


async def last_lag_sample(db: Db) -> datetime | None:
    return await db.fetchval("SELECT max(sampled_at) FROM lag_samples")


# Verifications ------------------------------------------------------------------------------------
async def store_verification(db: Db, at: datetime, verified: int, head: int, broken_seq: int | None,
                             broken_what: str | None, anchors: int, anchor_seq: int | None) -> None:
    await db.execute("INSERT INTO verifications (verified_at, verified, head_seq, broken_seq, broken_what, anchors, "
                     "anchor_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     at, verified, head, broken_seq, broken_what, anchors, anchor_seq)


async def last_verification(db: Db) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM verifications ORDER BY id DESC LIMIT 1")


async def hashes_at(conn: asyncpg.Connection, seqs: list[int]) -> dict[int, tuple[bytes, UUID]]:
    rows = await conn.fetch("SELECT seq, hash, event_id FROM audit_trail WHERE seq = ANY($1::bigint[])", seqs)
    return {r["seq"]: (bytes(r["hash"]), r["event_id"]) for r in rows}
