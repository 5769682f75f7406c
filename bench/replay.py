"""Replay: rebuilding read models from the events, against a raw read of the same events.

- **Client view from an event store** (`backbone.replay.rebuild` with `backbone.clientview.apply_batch`, the
  read model of intake's clients that assessment, planning, guidance and notifications keep): a scratch
  database gets an event store of `events` sequenced intake events (per client one ClientRegistered,
  then ResponsibilityAssigned and ClientDetailsChanged in turn; 10 per client), written with COPY; the
  rebuild applies them all into another scratch database's `client_view`, a page (5,000) per
  transaction. Baseline: reading the same pages of the same rows (`replay.pages`: SELECT and parse).
- **A service's own read models from its event store** (assessment's `cases`, planning's `plans` and
  `plan_deadlines_missed`): a scratch event store gets `events` of the service's own events, one realistic
  history per client made by the service's own domain (assessment: a case opened, booked with an interpreter,
  missed, booked again, held, informed, completed, reopened and completed again, 10 events; planning: a plan
  opened, refused once, issued, interrupted, reviewed, extended, handed over and ended, 9 events), each client's
  copy made by replacing ids in the bytes; the service's projection (`<service>.service_layer.projection`)
  rebuilds them into another scratch database with the service's migrations, a page (5,000) per transaction.
  Baseline: reading the same pages raw, as for the client view. Intake's and guidance's events, which the
  services also apply, are the client view's row and the audit trail's.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

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
FIGURES = ("replay: client view rebuilt from the event store", "replay: audit trail rebuilt from the topics",
           "replay: assessment's cases rebuilt from its event store",
           "replay: planning's plans rebuilt from its event store")
SERVICE_FIGURES = {"assessment": FIGURES[2], "planning": FIGURES[3]}


@dataclass
class ReplayResult:
    events: int
    view: float = 0.0  # events/s
    view_raw: float = 0.0
    view_seconds: float = 0.0
    trail: float = 0.0
    trail_raw: float = 0.0
    trail_seconds: float = 0.0
    services: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # events/s, raw events/s, seconds
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list:
        from bench.table import Row

        return [
            Row(FIGURES[0], "events/s", self.view or None, "raw read of the same rows", self.view_raw or None,
                percent=True, missing="not measured"),
            Row(FIGURES[1], "events/s", self.trail or None, "raw aiokafka consume", self.trail_raw or None,
                percent=True, missing="not measured"),
            *(Row(figure, "events/s", self.services.get(service, (None,) * 3)[0] or None, "raw read of the same rows",
                  self.services.get(service, (None,) * 3)[1] or None, percent=True, missing="not measured")
              for service, figure in SERVICE_FIGURES.items()),
        ]

    def text_notes(self) -> list[str]:
        return [f"Replay: {self.events:,} events; client view rebuilt in {self.view_seconds:,.1f} s (10 events per "
                f"client, a page of 5,000 per transaction), audit trail in {self.trail_seconds:,.1f} s "
                "(bench/replay.py).",
                *(f"Replay: {service}'s own read models rebuilt from {self.events:,} of its events in {seconds:,.1f} s."
                  for service, (_, _, seconds) in self.services.items()), *self.notes]


class Streams:
    """Envelope bytes for many clients, made from one client's history (`templates`: type, bytes and event id
    of each) by replacing its client id, its event ids and the other ids `ids` derives from the client id."""

    def __init__(self, client: uuid.UUID, templates: list[tuple[str, bytes, bytes]],
                 ids: dict[uuid.UUID, Callable[[uuid.UUID], uuid.UUID]] | None = None) -> None:
        self.client, self.templates, self.ids = client, templates, ids or {}

    def stream(self, client: uuid.UUID) -> list[tuple[uuid.UUID, str, bytes]]:
        replace = [(str(self.client).encode(), str(client).encode()),
                   *((str(old).encode(), str(new(client)).encode()) for old, new in self.ids.items())]
        out = []
        for kind, raw, template_id in self.templates:
            event_id = new_event_id()
            for old_id, new_id in (*replace, (template_id, str(event_id).encode())):
                raw = raw.replace(old_id, new_id)
            out.append((event_id, kind, raw))
        return out


def _templates(client: uuid.UUID, producer: str, organisation: str, events: list) -> list[tuple[str, bytes, bytes]]:
    envelopes = [Envelope.wrap(e, producer=producer, organisation=organisation, actor="officer-17", client_id=client,
                               correlation_id=uuid.uuid4()) for e in events]
    return [(e.type, e.to_bytes(), str(e.event_id).encode()) for e in envelopes]


def assessment_streams() -> Streams:
    """One case's history from assessment's own domain, 10 events; the case id follows the client's."""
    from assessment.domain.case import (
        AssessmentCase,
        Competence,
        EducationLevel,
        Literacy,
        WorkAbility,
        case_id_for,
    )
    from assessment.domain.rules import Interpreter
    from backbone.workdays import WorkingDays
    from contracts.events.assessment import (
        InformationTopic,
        InterpreterMode,
        MissedAppointmentKind,
        ReopenReason,
        ServiceNeed,
        ServicePoint,
    )

    client = uuid.uuid4()
    case = AssessmentCase.open(client, opened_on=date(2026, 3, 2), registered_on=date(2026, 3, 2),
                               registered_jobseeker=True, responsible_organisation="employment-region",
                               luvn_required=False, calendar=WorkingDays(), target_working_days=5)
    for interpreter, languages in ((Interpreter("ar"), ("ar",)), (None, ("ar", "fi"))):
        case.book_interview(uuid.uuid4(), scheduled_at=datetime(2026, 3, 5, 9, tzinfo=UTC), place=ServicePoint.KARIS,
                            language="fi", interpreter=interpreter,
                            interpreter_mode=InterpreterMode.ON_SITE if interpreter else None,
                            cancellation_instructions_given=True, client_languages=languages)
        if interpreter:
            case.record_missed(date(2026, 3, 5), kind=MissedAppointmentKind.NO_SHOW, justified=True, age=30,
                               interpretation_cost_cents=0)
    case.hold_interview(date(2026, 3, 6), frozenset(InformationTopic))
    case.record_competence(Competence(EducationLevel.PRIMARY, (), (), Literacy.GOOD, WorkAbility.FULL),
                           (ServiceNeed.CIVIC_ORIENTATION,))
    case.complete(date(2026, 3, 9))
    case.reopen(date(2026, 3, 10), ReopenReason.CORRECTION)
    case.complete(date(2026, 3, 11))
    assert len(case.pending) == 10, [e.TYPE for e in case.pending]
    return Streams(client, _templates(client, "assessment", "employment-region", case.pending),
                   {case.assessment_id: case_id_for})


def planning_streams(plan_of: Callable[[uuid.UUID], uuid.UUID]) -> Streams:
    """One plan's history from planning's own domain (9 events); `plan_of(client)` is each client's plan id."""
    from contracts.events.planning import InterruptionCause, PlanEndReason, ReviewOccasion
    from contracts.vocabulary import ExtensionReason, Organisation

    from services.planning.tests.factories import COMPLETED_ON, FACTS, Story

    story = Story()
    owner = FACTS.responsible_organisation
    story.do("refuse", by=owner, today=COMPLETED_ON, refused_on=COMPLETED_ON, good_reason=True)
    story.issue(ends_on=date(2025, 9, 30))
    story.do("record_interruption", by=owner, today=date(2025, 5, 1), interruption_id=uuid.uuid4(),
             cause=InterruptionCause.ILLNESS, from_on=date(2025, 4, 10), to_on=date(2025, 4, 20))
    story.do("review", by=owner, today=date(2025, 6, 2), reviewed_on=date(2025, 6, 2),
             occasion=ReviewOccasion.SCHEDULED)
    story.do("extend", by=owner, until=date(2026, 3, 31), reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM,
             under_25=False)
    story.do("hand_over", to=Organisation.EMPLOYMENT_REGION, effective_on=date(2025, 9, 1))
    story.do("end", by=Organisation.EMPLOYMENT_REGION, today=date(2025, 10, 1), ended_on=date(2025, 10, 1),
             reason=PlanEndReason.EMPLOYMENT)
    assert len(story.history) == 9, [e.TYPE for e in story.history]
    return Streams(story.client_id, _templates(story.client_id, "planning", "raseborg", story.history),
                   {story.id: plan_of})


class Events(Streams):
    """Intake's envelope bytes for many clients, made from one real envelope of each kind by replacing ids."""

    def __init__(self) -> None:
        client = uuid.uuid4()
        self.client = client
        moved = ResponsibilityAssigned(previous_organisation="employment-region", responsible_organisation="raseborg",
                                       effective_on=date(2026, 11, 28), reason="no_longer_registered_jobseeker")
        changed = ClientDetailsChanged(languages=["ar", "sv"], registered_jobseeker=False)
        wrap = lambda e: Envelope.wrap(e, producer="intake", organisation="employment-region",  # noqa: E731
                                       actor="officer-17", client_id=self.client, correlation_id=uuid.uuid4())
        kinds = [(e.type, e.to_bytes(), str(e.event_id).encode())
                 for e in (registered(self.client), wrap(moved), wrap(changed))]
        # One client's PER_CLIENT events: registered, then moved and changed in turn.
        super().__init__(client, [kinds[0 if version == 0 else 1 + version % 2] for version in range(PER_CLIENT)])


async def _fill_store(dsn: str, events: int, made: Streams | None = None,
                      stream_of: Callable[[uuid.UUID, list[tuple[uuid.UUID, str, bytes]]], uuid.UUID] | None = None
                      ) -> int:
    """Write `events` sequenced events (a client's stream at a time, `Events` unless `made`) into the scratch
    event store with COPY; `stream_of` names each client's stream (the client id unless given)."""
    made = made or Events()
    conn = await asyncpg.connect(dsn)
    try:
        position, rows = 0, []
        while position < events:
            client = uuid.uuid4()
            stream = made.stream(client)
            stream_id = stream_of(client, stream) if stream_of else client
            for version, (event_id, kind, raw) in enumerate(stream, start=1):
                position += 1
                rows.append((position, stream_id, version, event_id, client, kind, raw))
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


async def bench_service(target: Target, service: str, events: int, result: ReplayResult) -> None:
    """A service's own read models rebuilt from `events` of its own events (see the module)."""
    from importlib import import_module

    from backbone import parts as runtime_parts

    if service == "assessment":
        from assessment.domain.case import case_id_for

        made, stream_of, per_client = assessment_streams(), (lambda client, _: case_id_for(client)), 10
        table = "cases"
    else:
        plan_ids: dict[uuid.UUID, uuid.UUID] = {}
        made, per_client, table = planning_streams(lambda client: plan_ids.setdefault(client, uuid.uuid4())), 9, "plans"
        stream_of = lambda client, _: plan_ids[client]  # noqa: E731  (the plan id the stream's bytes name)
    projection = import_module(f"{service}.service_layer.projection")
    migrations = import_module(f"{service}.bootstrap").MIGRATIONS
    async with scratch_database(target, f"replay_{service}_store") as source_dsn, \
            scratch_database(target, f"replay_{service}") as into_dsn:
        log(f"replay: writing {events:,} of {service}'s events into a scratch event store")
        await _fill_store(source_dsn, events, made, stream_of)
        source = await asyncpg.create_pool(source_dsn, min_size=1, max_size=2)
        into = await asyncpg.create_pool(into_dsn, min_size=1, max_size=2)
        try:
            for folder, prefix in replay.service_tables(service, migrations,
                                                        (runtime_parts.CLIENT_VIEW, runtime_parts.CLIENT_KEYS)):
                await db.migrate(into, folder, prefix=prefix)
            started, read = time.perf_counter(), 0
            async for rows in replay.pages(source):
                read += len(rows)
            raw = read / (time.perf_counter() - started)
            log(f"replay: rebuilding {service}'s read models")
            if service == "assessment":
                from assessment.service_layer.handlers import Policy
                from backbone.workdays import WorkingDays

                apply_batch = projection.CasesProjection(Policy(WorkingDays())).apply_batch
            else:
                apply_batch = projection.PlansProjection().apply_batch
            done = await replay.rebuild(source, into, apply_batch=apply_batch)
            rows_made = await into.fetchval(f"SELECT count(*) FROM {table}")
            if done.events != events or read != events or rows_made != -(-events // per_client):
                raise RuntimeError(f"replay: {done.events} applied, {read} read, {rows_made} {table} of {events}")
            result.services[service] = (done.per_second, raw, done.seconds)
            log(f"replay: {service} {done.per_second:,.0f}/s, raw read {raw:,.0f}/s")
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
    for service in SERVICE_FIGURES:
        await bench_service(target, service, events, result)
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
