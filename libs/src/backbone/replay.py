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

import heapq
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from backbone import db, eventstore
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
    """The source's sequenced events after `after_position`, in position order, `page` at a time. A stored
    row that is not a valid envelope (written around the store's API; the relay publishes it and every
    consumer dead-letters it, so the live path applied nothing of it) is left out here too."""
    from contracts.errors import InvalidEnvelope

    last = after_position
    query = ("SELECT position, stream_id, version, envelope FROM event_store WHERE position > $1 "
             "ORDER BY position LIMIT $2")
    while True:
        if isinstance(source, asyncpg.Pool):
            async with source.acquire() as conn:
                raw = await conn.fetch(query, last, page)
        else:
            raw = await source.fetch(query, last, page)
        if not raw:
            return
        rows = []
        for r in raw:
            try:
                rows.append(eventstore.StoredEvent(r["position"], r["stream_id"], r["version"],
                                                   Envelope.from_bytes(r["envelope"])))
            except InvalidEnvelope:
                continue
        if rows:
            yield rows
        last = raw[-1]["position"]


async def rebuild(source: asyncpg.Pool | asyncpg.Connection, into: asyncpg.Pool, apply: Apply | None = None, *,
                  apply_batch: ApplyBatch | None = None, after_position: int = 0, page: int = PAGE,
                  types: frozenset[str] | None = None) -> Rebuilt:
    """Apply every sequenced event of `source` after `after_position` (of `types`, if given) to `into`:
    one by one through `apply`, or a page at a time through `apply_batch` (which must do what `apply`
    does for each event in order, as `clientview.apply_batch` does)."""
    def decoded(rows: list[eventstore.StoredEvent]) -> list[tuple[Envelope, Event]]:
        return [(s.envelope, CATALOGUE.decode(s.envelope)) for s in rows if types is None or s.envelope.type in types]

    last = after_position

    async def source_pages() -> AsyncIterator[list[tuple[Envelope, Event]]]:
        nonlocal last
        async for rows in pages(source, after_position=after_position, page=page):
            last = rows[-1].position or last
            yield decoded(rows)

    done = await rebuild_from(source_pages(), into, apply, apply_batch=apply_batch)
    return Rebuilt(done.events, last, done.seconds)


async def rebuild_from(items: AsyncIterable[Sequence[tuple[Envelope, Event]]], into: asyncpg.Pool,
                       apply: Apply | None = None, *, apply_batch: ApplyBatch | None = None) -> Rebuilt:
    """`rebuild` from pages of decoded events that come from elsewhere (several event stores merged in the
    order a service applied them, as `assessment.service_layer.projection` does): each page in one
    transaction on `into`. `last_position` is 0: the pages have no position of one store."""
    if (apply is None) == (apply_batch is None):
        raise TypeError("rebuild takes exactly one of apply and apply_batch")
    started = time.perf_counter()
    count = 0
    async for page in items:
        async with into.acquire() as conn, conn.transaction():
            if apply_batch is not None:
                await apply_batch(conn, page)
            else:
                for envelope, event in page:
                    await apply(conn, envelope, event)
        count += len(page)
    return Rebuilt(count, 0, time.perf_counter() - started)


Source = asyncpg.Pool | Callable[[], Awaitable[list[Envelope]]]
"""Where a service's consumed events are read from: the producing service's event store (a pool on its
database), or its topic (`from_topic`)."""


def from_topic(kafka: Mapping[str, Any], topic: str) -> Callable[[], Awaitable[list[Envelope]]]:
    """A `Source` that reads `topic` from its beginning to its current end, without a consumer group (with
    `kafka`, aiokafka's connection arguments of a principal that may read it). What is not an envelope (a
    poison message, dead-lettered when it came) is left out."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from contracts.errors import InvalidEnvelope
    from contracts.topics import all_topics

    async def read() -> list[Envelope]:
        declared = next(t for t in all_topics() if t.name == topic)
        partitions = [TopicPartition(topic, p) for p in range(declared.partitions)]
        consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign(partitions)
            starts = await consumer.beginning_offsets(partitions)
            ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end > starts[tp]}
            for tp in partitions:  # explicitly: seek_to_beginning can lose to the first reset of a new assignment
                consumer.seek(tp, starts[tp])
            out: list[Envelope] = []
            while ends:
                for tp, records in (await consumer.getmany(*ends, timeout_ms=1000, max_records=5000)).items():
                    for record in records:
                        if record.offset >= ends[tp]:
                            continue
                        try:
                            out.append(Envelope.from_bytes(record.value))
                        except InvalidEnvelope:
                            pass
                for tp in list(ends):  # the position, not the last record: it also passes transaction markers
                    if await consumer.position(tp) >= ends[tp]:
                        del ends[tp]
            return out
        finally:
            await consumer.stop()

    return read


async def _envelopes(source: Source) -> list[Envelope]:
    if isinstance(source, asyncpg.Pool):
        return [stored.envelope async for rows in pages(source) for stored in rows]
    return await source()


async def applied_pages(own: asyncpg.Pool, consumed: Mapping[str, Source], *, page: int = PAGE
                        ) -> AsyncIterator[list[tuple[Envelope, Event]]]:
    """A service's own events and those it consumed from other services, in the order it applied them,
    `page` at a time: for a read model that other services' events change without an event of its own.

    `consumed` maps the name of each of the service's subscriptions (its inbox rows' `consumer`) to where its
    events are read: the producing service's event store, or the topic itself (`from_topic`). The order is in the service's own database: each consumed
    event's inbox row says when it was applied (`processed_at`), each own event when it was recorded (own events
    keep their commit order). A read model row depends on one client's events, so the merge is per client, and
    on a tie the consumed event comes first (what it caused was recorded in the same transaction). A consumed
    event without an inbox row was not applied (refused, dead-lettered) and is left out; when a subscription has
    no inbox rows at all (a database lost with its inbox), all of that store's events are taken in its own order.
    Reads all the stores into memory first."""
    streams: dict[UUID, list[list[tuple[datetime, int, Envelope]]]] = {}
    # Own events first, so the clients come in the order of the service's own history: one that is no client
    # (guidance's catalogue, `client_id` a fixed id) comes before the clients whose rows read it.
    for e in await _envelopes(own):
        streams.setdefault(e.client_id, [[] for _ in range(len(consumed) + 1)])[-1].append(
            (e.recorded_at, len(consumed), e))
    for rank, (consumer, source) in enumerate(consumed.items()):
        rows = await own.fetch("SELECT event_id, processed_at FROM inbox WHERE consumer = $1", consumer)
        applied = {r["event_id"]: r["processed_at"] for r in rows}
        theirs = [(applied.get(e.event_id, e.recorded_at), rank, e) for e in await _envelopes(source)
                  if not applied or e.event_id in applied]
        for item in sorted(theirs, key=lambda item: item[0]):  # stable: one client's keep their order
            streams.setdefault(item[2].client_id, [[] for _ in range(len(consumed) + 1)])[rank].append(item)
    batch: list[tuple[Envelope, Event]] = []
    for lists in streams.values():
        for _, _, envelope in heapq.merge(*lists, key=lambda item: item[:2]):
            batch.append((envelope, CATALOGUE.decode(envelope)))
            if len(batch) >= page:
                yield batch
                batch = []
    if batch:
        yield batch


SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def service_tables(service: str, migrations: Path, parts: Sequence[Path] = ()) -> list[tuple[Path, str]]:
    """The migration folders (and their `db.migrate` prefixes) that make a service's tables, as
    `backbone.app` applies them: the runtime's, the parts', the service's own."""
    from backbone.app import RUNTIME_MIGRATIONS

    return [(RUNTIME_MIGRATIONS, "backbone/"), *((p, f"backbone/{p.name}/") for p in parts),
            (migrations, f"{service}/")]


@asynccontextmanager
async def scratch_schema(dsn: str, name: str, tables: Sequence[tuple[Path, str]], *, drop: bool = False
                         ) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose connections see only a new schema `name` of `dsn`'s database, with `tables` made in it
    (`service_tables`): where a service's rebuild writes. A schema that exists already is refused, so a
    rebuild never writes into live tables. `drop` drops the schema afterwards (tests)."""
    if not SCHEMA_NAME.fullmatch(name) or name in ("public", "pg_catalog", "information_schema"):
        raise ValueError(f"not a name for a new scratch schema: {name!r}")
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name):
            raise ValueError(f"schema {name} exists already: a rebuild writes only into a new one")
        await conn.execute(f"CREATE SCHEMA {name}")
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, server_settings={"search_path": name})
            try:
                for folder, prefix in tables:
                    await db.migrate(pool, folder, prefix=prefix)
                yield pool
            finally:
                await pool.close()
        finally:
            if drop:
                await conn.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await conn.close()


Run = Callable[[asyncpg.Pool, dict[str, asyncpg.Pool], asyncpg.Pool], Awaitable[Rebuilt]]


def command(argv: Sequence[str], *, service: str, dsn: str, tables: Sequence[tuple[Path, str]],
            consumes: Sequence[str], run: Run) -> int:
    """`python -m <service> rebuild --into SCHEMA [--events SERVICE=DSN ...]`: `run(own, others, into)` rebuilds
    the service's read models from its own event store (`dsn`, only read) and the event stores of the
    services it consumes (`consumes`, each named once with `--events`) into a new schema of its database."""
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog=f"python -m {service} rebuild",
                                     description=f"Rebuild {service}'s read models from the events into a new schema.")
    parser.add_argument("--into", required=True, metavar="SCHEMA", help="a new schema of the service's database")
    parser.add_argument("--events", action="append", default=[], metavar="SERVICE=DSN",
                        help=f"the event store of a service this one consumes: {', '.join(consumes) or 'none'}")
    args = parser.parse_args(argv)
    given = dict(item.split("=", 1) for item in args.events if "=" in item)
    if sorted(given) != sorted(consumes) or len(args.events) != len(consumes):
        parser.error(f"--events needs exactly one SERVICE=DSN for each of: {', '.join(consumes) or 'none'}")

    async def main() -> Rebuilt:
        own = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        others = {name: await asyncpg.create_pool(other, min_size=1, max_size=2) for name, other in given.items()}
        try:
            async with scratch_schema(dsn, args.into, tables) as into:
                return await run(own, others, into)
        finally:
            for pool in (own, *others.values()):
                await pool.close()

    try:
        done = asyncio.run(main())
    except ValueError as refused:  # scratch_schema's refusal of an existing or reserved schema
        parser.error(str(refused))
    print(f"{service}: {done.events} events applied into schema {args.into} in {done.seconds:.1f} s")
    return 0
