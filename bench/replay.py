"""Replay: rebuilding read models from the events, against a raw read of the same events.

- **Client view from an event store** (`backbone.replay.rebuild` with `backbone.clientview.apply_batch`, the
  read model of intake's clients that assessment, planning, guidance and notifications keep): a scratch
  database gets an event store of `events` sequenced intake events (per client one ClientRegistered,
  then ResponsibilityAssigned and ClientDetailsChanged in turn; 10 per client), written with COPY; the
  rebuild applies them all into another scratch database's `client_view`, a page (5,000) per
  transaction. Baseline: reading the same pages of the same rows (`replay.pages`: SELECT and parse).
- **Audit trail from the topics**: a scratch topic (3 partitions, made and deleted by the broker's admin)
  gets the same number of envelopes; audit's own subscription handler (`on_events`: the hash chain,
  one row per event, the envelope bytes kept) applies them through the inbox into a scratch database
  with audit's migrations. Baseline: a raw aiokafka consumer reading the same range.

The envelopes are made from a few real ones by replacing their client and event ids in the bytes
(building a million pydantic envelopes would take longer than the replay). Nothing here touches a
service's own database or topics.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from backbone import clientview, db, parts, replay
from backbone.inbox import InboxConsumer, Subscription
from bench.common import Target, log, producer, scratch_database
from bench.consume import consume_range
from contracts.envelope import Envelope, new_event_id
from contracts.events.intake import ClientDetailsChanged, ResponsibilityAssigned
from tests.support.events import registered

ADMIN = "admin"
PER_CLIENT = 10
CHUNK = 20_000  # rows per COPY / envelopes built at once
REPLAY_FULL, REPLAY_TINY = 1_000_000, 300  # events
FIGURES = ("replay: client view rebuilt from the event store", "replay: audit trail rebuilt from the topics")


@dataclass
class ReplayResult:
    events: int
    view: float = 0.0  # events/s
    view_raw: float = 0.0
    view_seconds: float = 0.0
    trail: float = 0.0
    trail_raw: float = 0.0
    trail_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list:
        from bench.table import Row

        return [
            Row(FIGURES[0], "events/s", self.view or None, "raw read of the same rows", self.view_raw or None,
                percent=True, missing="not measured"),
            Row(FIGURES[1], "events/s", self.trail or None, "raw aiokafka consume", self.trail_raw or None,
                percent=True, missing="not measured"),
        ]

    def text_notes(self) -> list[str]:
        return [f"Replay: {self.events:,} events; client view rebuilt in {self.view_seconds:,.1f} s (10 events per "
                f"client, a page of 5,000 per transaction), audit trail in {self.trail_seconds:,.1f} s "
                "(bench/replay.py).", *self.notes]


class Events:
    """Envelope bytes for many clients, made from one real envelope of each kind by replacing ids."""

    def __init__(self) -> None:
        self.client = uuid.uuid4()
        moved = ResponsibilityAssigned(previous_organisation="employment-region", responsible_organisation="raseborg",
                                       effective_on=date(2026, 11, 28), reason="no_longer_registered_jobseeker")
        changed = ClientDetailsChanged(languages=["ar", "sv"], registered_jobseeker=False)
        wrap = lambda e: Envelope.wrap(e, producer="intake", organisation="employment-region",  # noqa: E731
                                       actor="officer-17", client_id=self.client, correlation_id=uuid.uuid4())
        self.templates = [(e.type, e.to_bytes(), str(e.event_id).encode())
                          for e in (registered(self.client), wrap(moved), wrap(changed))]

    def stream(self, client: uuid.UUID) -> list[tuple[uuid.UUID, str, bytes]]:
        """One client's PER_CLIENT events: (event id, type, envelope bytes)."""
        out = []
        for version in range(PER_CLIENT):
            kind, raw, template_id = self.templates[0 if version == 0 else 1 + version % 2]
            event_id = new_event_id()
            raw = raw.replace(str(self.client).encode(), str(client).encode()).replace(template_id, str(event_id).encode())
            out.append((event_id, kind, raw))
        return out


async def _fill_store(dsn: str, events: int) -> int:
    """Write `events` sequenced events (PER_CLIENT per client) into the scratch event store with COPY."""
    made = Events()
    conn = await asyncpg.connect(dsn)
    try:
        position, rows = 0, []
        while position < events:
            client = uuid.uuid4()
            for version, (event_id, kind, raw) in enumerate(made.stream(client), start=1):
                position += 1
                rows.append((position, client, version, event_id, client, kind, raw))
                if position == events:
                    break
            if len(rows) >= CHUNK or position == events:
                await conn.copy_records_to_table("event_store", records=rows, columns=(
                    "position", "stream_id", "version", "event_id", "client_id", "type", "envelope"))
                rows = []
        await conn.execute("UPDATE event_store_cursor SET last_position = $1, published_position = $1", position)
        await conn.execute("ANALYZE event_store")
        return position
    finally:
        await conn.close()


async def bench_view(target: Target, events: int, result: ReplayResult) -> None:
    async with scratch_database(target, "replay_store") as source_dsn, \
            scratch_database(target, "replay_view") as view_dsn:
        log(f"replay: writing {events:,} events into a scratch event store")
        await _fill_store(source_dsn, events)
        source = await asyncpg.create_pool(source_dsn, min_size=1, max_size=2)
        into = await asyncpg.create_pool(view_dsn, min_size=1, max_size=2)
        try:
            await db.migrate(into, parts.CLIENT_VIEW, prefix="backbone/clientview/")
            log("replay: raw read of the event store")
            started, read = time.perf_counter(), 0
            async for rows in replay.pages(source):
                read += len(rows)
            result.view_raw = read / (time.perf_counter() - started)
            log("replay: rebuilding the client view")
            done = await replay.rebuild(source, into, apply_batch=clientview.apply_batch)
            result.view, result.view_seconds = done.per_second, done.seconds
            views = await into.fetchval("SELECT count(*) FROM client_view")
            if done.events != events or read != events or views != -(-events // PER_CLIENT):
                raise RuntimeError(f"replay: {done.events} applied, {read} read, {views} clients of {events} events")
            log(f"replay: client view {result.view:,.0f}/s, raw read {result.view_raw:,.0f}/s")
        finally:
            await source.close()
            await into.close()


async def bench_trail(target: Target, events: int, result: ReplayResult) -> None:
    from audit.bootstrap import MIGRATIONS
    from audit.entrypoints.subscriber import on_events

    from bench.pipeline import scratch_topics

    made = Events()
    async with scratch_topics(target, 1) as (topic,), scratch_database(target, "replay_trail") as dsn:
        kafka = await producer(target, ADMIN)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=3)
        try:
            await db.migrate(pool, MIGRATIONS, prefix="audit/")
            tps = [TopicPartition(topic, p) for p in range(3)]
            start = await _ends(target, tps)
            log(f"replay: producing {events:,} envelopes to {topic}")
            sent = 0
            while sent < events:
                client = uuid.uuid4()
                for _, _, raw in made.stream(client)[:events - sent]:
                    await kafka.send(topic, raw, key=str(client).encode())
                    sent += 1
            await kafka.flush()
            end = await _ends(target, tps)
            log("replay: raw consume, then the audit trail")
            result.trail_raw = await consume_range(target, start, end, None, principal=ADMIN)
            sub = Subscription(name="replay", topics=(topic,), batch_handler=on_events, decode_payloads=False)
            inbox = InboxConsumer(pool, kafka, target.kafka(ADMIN), service="audit-bench", subscription=sub,
                                  dead_letter_topic=topic + ".dlq")
            started = time.perf_counter()
            result.trail = await consume_range(target, start, end, inbox, principal=ADMIN)
            result.trail_seconds = time.perf_counter() - started
            recorded = await pool.fetchval("SELECT count(*) FROM audit_trail")
            if recorded != events or inbox.stats.dead_lettered:
                raise RuntimeError(f"replay: {recorded} of {events} on the trail, {inbox.stats}")
            log(f"replay: audit trail {result.trail:,.0f}/s, raw consume {result.trail_raw:,.0f}/s")
        finally:
            await pool.close()
            await kafka.stop()


async def _ends(target: Target, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**target.kafka(ADMIN))
    await consumer.start()
    try:
        return await consumer.end_offsets(tps)
    finally:
        await consumer.stop()


async def bench_replay(target: Target, events: int) -> ReplayResult:
    result = ReplayResult(events)
    await bench_view(target, events, result)
    await bench_trail(target, events, result)
    return result


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.replay [--profile bench|dev|test] [--events N]`: only these rows (make bench runs them too)."""
    import argparse
    import asyncio

    from bench.common import local_target, print_rows
    from bench.run import quiet_logs

    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench")
    parser.add_argument("--events", type=int, default=REPLAY_FULL)
    args = parser.parse_args(argv)
    quiet_logs()
    result = asyncio.run(bench_replay(local_target(args.profile), args.events))
    print_rows(result.rows(), result.text_notes())
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
