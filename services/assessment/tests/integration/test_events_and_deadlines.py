"""Intake's events on the real broker reach assessment's cases; the deadline job on the real database
publishes each missed deadline once, even when two instances run it at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from backbone import clientview
from backbone.clientkeys import ClientKeys
from backbone.clock import FixedClock
from backbone.scheduler import run_once
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.registry import decode
from contracts.topics import event_topic
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.service_layer import handlers
from services.assessment.tests.factories import new_client, registered, source_added
from services.assessment.tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def publish(infra):
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all")
    await producer.start()

    async def send(envelope: Envelope) -> None:
        await producer.send_and_wait(event_topic("intake"), envelope.to_bytes(), key=envelope.key())

    yield send
    await producer.stop()


def deps_for(infra, pool: asyncpg.Pool, today: date) -> handlers.Deps:
    keys = ClientKeys.from_setting(infra.secrets["assessment"]["vault_master_keys"])
    return handlers.Deps(uow=lambda: PostgresUnitOfWork(pool, keys),
                         clock=FixedClock(datetime(today.year, today.month, today.day, 9, tzinfo=UTC)),
                         policy=handlers.Policy(WorkingDays(), 5))


async def apply(infra, pool: asyncpg.Pool, envelope: Envelope, today: date) -> None:
    """Apply one of intake's events as the inbox would: view and case in one transaction."""
    deps = deps_for(infra, pool, today)
    event = decode(envelope)
    async with deps.uow() as uow:
        _, after = await clientview.apply(uow.conn, envelope, event)
        await handlers.follow_client(uow, envelope, event, after, deps)
        await uow.commit()


async def events_of(pool: asyncpg.Pool, client_id: UUID, type_: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT envelope FROM event_store WHERE client_id = $1 AND type = $2", client_id, type_)


class TestCasesFollowIntakesEvents:
    async def test_r8_a_guidance_only_client_gets_a_case_when_a_new_source_makes_them_one_to_be_assessed(
            self, services, publish, assessment_db):
        client_id = new_client()
        await publish(registered(client_id, state="guidance_only"))
        assert await eventually(lambda: assessment_db.fetchval(
            "SELECT state FROM client_view WHERE client_id = $1", client_id)) == "guidance_only"
        assert await assessment_db.fetchval("SELECT count(*) FROM cases WHERE client_id = $1", client_id) == 0

        await publish(source_added(client_id, registered_on=date(2026, 3, 9)))

        row = await eventually(lambda: assessment_db.fetchrow(
            "SELECT status, due_on, luvn_required, state->>'due_rule' AS rule FROM cases WHERE client_id = $1",
            client_id))
        assert dict(row) == {"status": "open", "due_on": date(2026, 3, 16), "luvn_required": True, "rule": "R8"}

    async def test_a_registration_delivered_twice_opens_one_case(self, services, publish, assessment_db):
        client_id = new_client()
        twice = registered(client_id)
        await publish(twice)
        await publish(twice)
        await publish(source_added(client_id, registered_on=date(2026, 3, 2)))  # same key: applied after both

        assert await eventually(lambda: assessment_db.fetchval(
            "SELECT luvn_required FROM cases WHERE client_id = $1", client_id))
        assert len(await events_of(assessment_db, client_id, "AssessmentCaseOpened")) == 1

    async def test_r9_a_jobseeker_registration_restarts_the_interview_clock(self, services, publish, assessment_db):
        client_id = new_client()
        await publish(registered(client_id, registered_on=date(2026, 3, 2)))
        await publish(source_added(client_id, registered_on=date(2026, 3, 23), source="employment_region_jobseeker",
                                   target_groups=("family_member", "unemployed_jobseeker")))

        async def restarted():
            row = await assessment_db.fetchrow("SELECT due_on, state->>'due_rule' AS rule FROM cases "
                                               "WHERE client_id = $1", client_id)
            return row if row is not None and row["rule"] == "R9" else None

        row = await eventually(restarted)
        assert row is not None and row["due_on"] == date(2026, 3, 30)


class TestDeadlineJob:
    async def test_r9_deadline_missed_published_once_with_two_instances_at_once(self, infra, assessment_db):
        due_day = date(2026, 3, 9)  # the 5th working day after Monday 2 March 2026
        clients = [new_client() for _ in range(5)]
        for client_id in clients:
            await apply(infra, assessment_db, registered(client_id, jobseeker=True, registered_on=date(2026, 3, 2)),
                        date(2026, 3, 2))

        on_due_day = deps_for(infra, assessment_db, due_day)
        await handlers.publish_missed_deadlines(on_due_day)
        assert all([not await events_of(assessment_db, c, "DeadlineMissed") for c in clients])

        day_after = date(2026, 3, 10)
        first, second = deps_for(infra, assessment_db, day_after), deps_for(infra, assessment_db, day_after)
        await asyncio.gather(handlers.publish_missed_deadlines(first), handlers.publish_missed_deadlines(second),
                             run_once(assessment_db, "assessment-deadlines",
                                      lambda: handlers.publish_missed_deadlines(first)))
        await handlers.publish_missed_deadlines(deps_for(infra, assessment_db, date(2026, 3, 20)))

        for client_id in clients:
            [row] = await events_of(assessment_db, client_id, "DeadlineMissed")
            payload = Envelope.from_bytes(row["envelope"]).payload
            assert (payload["deadline"], payload["rule"], payload["due_on"]) == ("initial_interview", "R9",
                                                                                 due_day.isoformat())
