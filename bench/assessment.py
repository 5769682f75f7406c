"""Assessment consuming intake's registrations: ClientRegistered consumed to case opened, per second, vs a
raw aiokafka consumer of the same messages in the same run.

Each run writes N ClientRegistered envelopes of new clients (one each, to be assessed) to
integration.intake.v1 as principal "intake", then reads that range back twice, as principal "audit"
with a fresh consumer group each, in the inbox's own loop (`bench.consume`): once through assessment's
real subscription (`backbone.clientview` keeps the client view, then the case opens: R9's due day,
the case row and `AssessmentCaseOpened` in the event store, one transaction per partition batch) on a
scratch database with assessment's tables, and once doing nothing with the records. Every run checks
that each client got exactly one case.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.bootstrap import MIGRATIONS
from assessment.entrypoints import events
from assessment.service_layer import handlers
from backbone import db, parts
from backbone.clientkeys import ClientKeys
from backbone.clock import SystemClock
from backbone.inbox import InboxConsumer
from backbone.workdays import WorkingDays
from contracts.topics import dead_letter_topic
from tests.support.events import registered

from bench.common import Sizes, Target, log, median, new_clients, producer, scratch_database
from bench.consume import PRINCIPAL, _consume
from bench.relay import TOPIC, end_offsets


@dataclass
class AssessmentResult:
    cases: list[float]  # cases opened/s per repetition
    raw: list[float]  # raw consume events/s
    events: int

    @property
    def cases_median(self) -> float:
        return median(self.cases)

    @property
    def raw_median(self) -> float:
        return median(self.raw)


async def _write(target: Target, n: int):
    start = await end_offsets(target)
    kafka = await producer(target, "intake")
    try:
        for envelope in (registered(c) for c in new_clients(n)):
            await kafka.send(TOPIC, envelope.to_bytes(), key=envelope.key())
        await kafka.flush()
    finally:
        await kafka.stop()
    return start, await end_offsets(target)


async def bench_assessment(target: Target, sizes: Sizes) -> AssessmentResult:
    start, end = await _write(target, sizes.registrations)
    total = sum(end[tp] - start[tp] for tp in end)
    keys = ClientKeys.from_setting(target.secrets["assessment"]["vault_master_keys"])
    case_rates: list[float] = []
    raw_rates: list[float] = []
    kafka = await producer(target, PRINCIPAL)  # the inbox's dead-letter producer; nothing is expected there
    try:
        for rep in range(sizes.reps):
            async with scratch_database(target, "assessment") as dsn:
                pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
                try:
                    for part in (parts.CLIENT_VIEW, parts.CLIENT_KEYS):
                        await db.migrate(pool, part, prefix=f"backbone/{part.name}/")
                    await db.migrate(pool, MIGRATIONS, prefix="assessment/")
                    deps = handlers.Deps(uow=lambda p=pool: PostgresUnitOfWork(p, keys), clock=SystemClock(),
                                         policy=handlers.Policy(WorkingDays()))
                    inbox = InboxConsumer(pool, kafka, target.kafka(PRINCIPAL), service=PRINCIPAL,
                                          subscription=events.subscription(deps, keys),
                                          dead_letter_topic=dead_letter_topic(PRINCIPAL))
                    if rep % 2:  # alternate which of the two reads the range first
                        raw_rates.append(await _consume(target, start, end, None))
                    case_rates.append(await _consume(target, start, end, inbox))
                    if not rep % 2:
                        raw_rates.append(await _consume(target, start, end, None))
                    async with pool.acquire() as conn:
                        cases = await conn.fetchval("SELECT count(*) FROM cases")
                        opened = await conn.fetchval("SELECT count(*) FROM event_store "
                                                     "WHERE type = 'AssessmentCaseOpened'")
                    if inbox.stats.dead_lettered or cases != opened or cases < sizes.registrations:
                        raise RuntimeError(f"assessment: {inbox.stats}, {cases} cases, {opened} opened")
                finally:
                    await pool.close()
            log(f"assessment rep {rep + 1}: {case_rates[-1]:,.0f} cases opened/s, raw consumer {raw_rates[-1]:,.0f}/s "
                f"({total} events)")
    finally:
        await kafka.stop()
    return AssessmentResult(case_rates, raw_rates, total)
