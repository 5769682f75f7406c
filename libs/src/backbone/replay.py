"""Rebuild a read model from a service's own event store.

`rebuild(source, into, apply)` reads every sequenced event of the source database's `event_store` in
position order (commit order, gap-free: `eventstore.read_all`), decodes it as the inbox would (the
latest version of its event, through the upcasters), and hands it to `apply(conn, envelope, event)`:
the same function the live path runs for that read model, so a rebuild cannot drift from it. Each
page of events is applied in one transaction on `into`, a database (or a connection whose
`search_path` names a scratch schema) that already has the read model's tables and is otherwise not
written to. The source is only read.

A read model of intake's clients (`backbone.clientview`, which assessment, planning, guidance and
notifications keep from `integration.intake.v1`) is rebuilt from intake's event store with
`rebuild(intake_pool, scratch_pool, apply_batch=clientview.apply_batch)` (or, one event at a time,
`clientview.apply`); `make bench` measures it on a million events.
Events not sequenced yet (committed after the relay's last sequencing round) are not read: run it
while the relay runs, or after it has sequenced everything.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from backbone import eventstore
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import CATALOGUE

Apply = Callable[[asyncpg.Connection, Envelope, Event], Awaitable[object]]
ApplyBatch = Callable[[asyncpg.Connection, Sequence[tuple[Envelope, Event]]], Awaitable[object]]
PAGE = 5000


@dataclass(frozen=True)
class Rebuilt:
    events: int  # events handed to `apply`
    last_position: int  # where a later rebuild may continue (`after_position`)
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def pages(source: asyncpg.Pool | asyncpg.Connection, *, after_position: int = 0, page: int = PAGE
                ) -> AsyncIterator[list[eventstore.StoredEvent]]:
    """The source's sequenced events after `after_position`, in position order, `page` at a time."""
    last = after_position
    while True:
        if isinstance(source, asyncpg.Pool):
            async with source.acquire() as conn:
                rows = await eventstore.read_all(conn, last, page)
        else:
            rows = await eventstore.read_all(source, last, page)
        if not rows:
            return
        yield rows
        last = rows[-1].position or last


async def rebuild(source: asyncpg.Pool | asyncpg.Connection, into: asyncpg.Pool, apply: Apply | None = None, *,
                  apply_batch: ApplyBatch | None = None, after_position: int = 0, page: int = PAGE,
                  types: frozenset[str] | None = None) -> Rebuilt:
    """Apply every sequenced event of `source` after `after_position` (of `types`, if given) to `into`:
    one by one through `apply`, or a page at a time through `apply_batch` (which must do what `apply`
    does for each event in order, as `clientview.apply_batch` does)."""
    if (apply is None) == (apply_batch is None):
        raise TypeError("rebuild takes exactly one of apply and apply_batch")
    started = time.perf_counter()
    count, last = 0, after_position
    async for rows in pages(source, after_position=after_position, page=page):
        items = [(s.envelope, CATALOGUE.decode(s.envelope)) for s in rows if types is None or s.envelope.type in types]
        async with into.acquire() as conn, conn.transaction():
            if apply_batch is not None:
                await apply_batch(conn, items)
            else:
                for envelope, event in items:
                    await apply(conn, envelope, event)
        count += len(items)
        last = rows[-1].position or last
    return Rebuilt(count, last, time.perf_counter() - started)
