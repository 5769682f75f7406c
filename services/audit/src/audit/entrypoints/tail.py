"""`python -m audit tail`: the live trail in a terminal, one line per record, no personal data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import asyncpg

from audit.adapters import trail_store
from audit.domain.chain import Record

BACKLOG = 10  # without --from, start this many records before the end, as tail(1) does
BATCH = 500


@dataclass(frozen=True)
class TailOptions:
    from_seq: int | None = None
    limit: int | None = None  # stop after this many records
    once: bool = False  # print what exists, then stop
    interval: float = 1.0  # seconds between polls once caught up


def format_line(record: Record) -> str:
    """seq, time recorded, producer, type, client id and short hash: ids and codes only."""
    e = record.entry
    return (f"{record.seq:>8}  {e.recorded_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z  {e.producer:<13}  {e.type:<28}  "
            f"{e.client_id}  {record.hash.hex()[:12]}")


async def follow(conn: asyncpg.Connection, options: TailOptions, stop: asyncio.Event,
                 write: Callable[[str], None]) -> int:
    """Write records as they are appended until `stop` is set, the limit is reached or, with
    `once`, the end is reached; returns how many were written."""
    head = await trail_store.read_head(conn)
    next_seq = options.from_seq or max(1, (head.seq if head is not None else 0) - BACKLOG + 1)
    written = 0
    while not stop.is_set():
        want = BATCH if options.limit is None else min(BATCH, options.limit - written)
        batch = await trail_store.fetch(conn, next_seq, want)
        for record in batch:
            write(format_line(record))
        written += len(batch)
        next_seq = batch[-1].seq + 1 if batch else next_seq
        if written == options.limit or (options.once and len(batch) < want):
            break
        if len(batch) < want:
            await _sleep_unless(stop, options.interval)
    return written


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
