"""AssessmentCompleted to plan opened (planning's consumer through the inbox) vs a raw consume of the same messages.

A scratch topic (`bench.planning.<random>`, 3 partitions, created and deleted by the broker's admin) gets
`n` AssessmentCompleted envelopes with `plan_needed`, one per made-up client, keyed by client; so planning's
real topics and consumer groups are untouched. Planning's tables live in a scratch database, with the
clients already in its read model of intake. The inbox loop runs planning's own `assessments` subscription
(decode, inbox rows, load the client, open the plan: PlanOpened appended to the event store and the plans
table, one transaction per partition batch); the raw loop reads the same range and does nothing. Each
repetition opens new plans for new clients.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from backbone import db, parts
from backbone.clientkeys import ClientKeys
from backbone.inbox import InboxConsumer, Subscription
from bench.common import Sizes, Target, log, median, producer, scratch_database
from bench.consume import consume_range
from contracts.envelope import Envelope
from contracts.events.assessment import AssessmentCompleted
from planning.adapters.postgres import PostgresUnitOfWork
from planning.bootstrap import MIGRATIONS
from planning.entrypoints.events import subscriptions
from planning.service_layer import handlers

PRINCIPAL = "admin"  # the scratch topic has no ACLs: only the broker's super user uses it


@dataclass
class PlanningResult:
    opened: list[float]  # AssessmentCompleted -> plan opened, events/s per repetition
    raw: list[float]
    events: int

    @property
    def opened_median(self) -> float:
        return median(self.opened)

    @property
    def raw_median(self) -> float:
        return median(self.raw)


def completed(client_id: uuid.UUID, today: date) -> Envelope:
    event = AssessmentCompleted(assessment_id=uuid.uuid4(), completed_on=today, plan_needed=True,
                                luvn_participation_required=False, service_needs=("civic_orientation",))
    return Envelope.wrap(event, producer="assessment", organisation="raseborg", actor="officer-bench",
                         client_id=client_id, correlation_id=uuid.uuid4())


async def _known_clients(conn: asyncpg.Connection, clients: list[uuid.UUID], today: date) -> None:
    await conn.execute(
        """INSERT INTO client_view (client_id, responsible_organisation, home_municipality, languages, target_groups,
               state, registered_jobseeker, luvn_participation_required, window_ends_on, registered_on,
               last_event_id)
           SELECT c, 'raseborg', 'raseborg', '{ar}', '{family_member}', 'to_be_assessed', false, false, $2, $3, c
           FROM unnest($1::uuid[]) c""", clients, today + timedelta(days=900), today)


@asynccontextmanager
async def scratch_topic(target: Target, label: str) -> AsyncIterator[tuple[str, AIOKafkaProducer]]:
    """A new topic `bench.<label>.<random>` (3 partitions, no ACLs: the broker's super user only) and a
    producer; the topic is deleted afterwards (also when the benchmark fails)."""
    topic = f"bench.{label}.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**target.kafka(PRINCIPAL))
    await admin.start()
    kafka = await producer(target, PRINCIPAL)
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        yield topic, kafka
    finally:
        await kafka.stop()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


async def bench_planning(target: Target, sizes: Sizes) -> PlanningResult:
    n = max(20, sizes.relay_events // 10)
    opened: list[float] = []
    raw: list[float] = []
    today = date.today()
    async with scratch_topic(target, "planning") as (topic, kafka), scratch_database(target, "planning") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
        try:
            for part in (parts.CLIENT_VIEW, parts.CLIENT_KEYS):
                await db.migrate(pool, part, prefix=f"backbone/{part.name}/")
            await db.migrate(pool, MIGRATIONS, prefix="planning/")
            keys = ClientKeys.from_setting(target.secrets["planning"]["vault_master_keys"])
            deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(pool, keys))
            assessments = next(s for s in subscriptions(deps, keys) if s.name == "assessments")
            for rep in range(sizes.reps):
                clients = [uuid.uuid4() for _ in range(n)]
                async with pool.acquire() as conn:
                    await _known_clients(conn, clients, today)
                start = await _ends(target, topic)
                for client in clients:
                    envelope = completed(client, today)
                    await kafka.send(topic, envelope.to_bytes(), key=envelope.key())
                await kafka.flush()
                end = await _ends(target, topic)
                sub = Subscription(name=f"bench-{rep}", topics=(topic,), handler=assessments.handler)
                inbox = InboxConsumer(pool, kafka, target.kafka(PRINCIPAL), service="planning-bench",
                                      subscription=sub, dead_letter_topic=topic + ".dlq")
                raw.append(await consume_range(target, start, end, None, principal=PRINCIPAL))
                opened.append(await consume_range(target, start, end, inbox, principal=PRINCIPAL))
                async with pool.acquire() as conn:
                    made = await conn.fetchval("SELECT count(*) FROM plans WHERE client_id = ANY($1::uuid[])",
                                               clients)
                if inbox.stats.dead_lettered or made != n:
                    raise RuntimeError(f"planning bench: {inbox.stats}, {made} of {n} plans opened")
                log(f"planning rep {rep + 1}: plan opened {opened[-1]:,.0f}/s, raw consumer {raw[-1]:,.0f}/s "
                    f"({n} events)")
        finally:
            await pool.close()
    return PlanningResult(opened, raw, n)


async def _ends(target: Target, topic: str) -> dict[TopicPartition, int]:
    """The end offsets of the scratch topic's partitions."""
    consumer = AIOKafkaConsumer(**target.kafka(PRINCIPAL))
    await consumer.start()
    try:
        return await consumer.end_offsets([TopicPartition(topic, p) for p in range(3)])
    finally:
        await consumer.stop()
