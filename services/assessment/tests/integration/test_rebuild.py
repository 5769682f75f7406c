"""Assessment's read models rebuilt from the events (`service_layer.projection`, issue 14's replay) equal the
live ones row for row: clients registered at a real intake, carried over HTTP through every step of a case
(and the deadline job's own step), moved, and erased; then `client_view` and `cases` are rebuilt from
assessment's event store and intake's into a scratch schema and compared with what the live path wrote."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from uuid import UUID

import asyncpg
import pytest

from backbone import parts, replay
from backbone.clientkeys import ClientKeys
from backbone.clock import SystemClock, today_in_finland
from contracts.envelope import SYSTEM_ACTOR
from contracts.events.assessment import EVENTS
from assessment.adapters.postgres import PostgresUnitOfWork, case_from_json
from assessment.bootstrap import MIGRATIONS, policy_from
from assessment.domain.case import AssessmentCase
from assessment.service_layer import handlers, projection
from services.assessment.tests.integration.conftest import acall, assessment_settings, eventually
from services.assessment.tests.integration.test_process import ALL_TOPICS, COMPETENCE, booking, case_of, register
from services.intake.tests.factories import PATHS, body
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

VIEW_COLUMNS = ("client_id, responsible_organisation, home_municipality, languages, target_groups, state, "
                "registered_jobseeker, luvn_participation_required, window_ends_on, registered_on, "
                "assessment_due_on, responsible_since, relationship_ended_on, erased_on, merged_into, last_event_id")
"""`client_view` without `updated_at` (when the row was written, not derivable)."""
CASE_COLUMNS = "assessment_id, client_id, version, status, due_on, place, responsible_organisation, luvn_required"
"""`cases` without `updated_at` (a rebuilt row has its last event's time) and `state`, compared as the case."""


def derivable(state: str) -> AssessmentCase:
    """The case without what no event carries: the competence, and the service needs until completion."""
    case = case_from_json(state)
    return dataclasses.replace(case, competence=None,
                               service_needs=case.service_needs if case.status == "completed" else ())


async def drive(services, tokens, infra, assessment_db) -> list[UUID]:
    """Clients through every step a case has; returns their ids."""
    intake_url, url = services
    today = today_in_finland().isoformat()

    # A jobseeker: booked with an interpreter, a no-show, booked again, held, told the rest, a refusal (R24's
    # second miss), competence, completed, reopened and completed again.
    a, payload = await register(services, tokens, "employment_region_jobseeker", "employment-region")
    case = await case_of(services, tokens, a)
    officer = await tokens("assessment", "employment-region")
    base = f"{url}/cases/{case['assessment_id']}"
    for method, path, step in (
            ("POST", "/interview", booking(payload["person"]["languages"])),
            ("POST", "/missed-appointments", {"missed_on": today, "kind": "no_show", "justified": False, "age": 30,
                                              "interpretation_cost_cents": 9000}),
            ("POST", "/interview", booking(payload["person"]["languages"])),
            ("POST", "/interview/held", {"held_on": today, "information_given": ALL_TOPICS[:2]}),
            ("POST", "/information", {"on": today, "topics": ALL_TOPICS[2:]}),
            ("POST", "/missed-appointments", {"missed_on": today, "kind": "refusal", "justified": False, "age": 30}),
            ("PUT", "/competence", COMPETENCE),
            ("POST", "/completion", {"completed_on": today}),
            ("POST", "/reopening", {"reopened_on": today, "reason": "correction"}),
            ("POST", "/completion", {"completed_on": today})):
        status, answer = await acall(method, base + path, officer, step)
        assert status == 200, (path, answer)
    await acall("POST", f"{base}/notes", officer, {"text": "not in any event"})

    # A quota refugee with LUVN's part: booked, LUVN confirms, and the deadline job finds the day missed.
    b, payload = await register(services, tokens, "refugee_placement", "hango")
    case = await case_of(services, tokens, b)
    officer = await tokens("assessment", case["responsible_organisation"])
    base = f"{url}/cases/{case['assessment_id']}"
    assert (await acall("POST", f"{base}/interview", officer, booking(payload["person"]["languages"])))[0] == 200
    assert (await acall("POST", f"{base}/luvn-confirmation", await tokens("assessment", "luvn"),
                        {"confirmed_on": today}))[0] == 200
    settings = assessment_settings(infra, free_port())
    deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(assessment_db, ClientKeys.from_setting(
        settings.vault_master_keys.get_secret_value())), clock=SystemClock(), policy=policy_from(settings))
    async with deps.uow() as uow:  # what publish_missed_deadlines does for one case, on this case only
        missed = await uow.cases.get(UUID(case["assessment_id"]), for_update=True)
        assert missed is not None and missed.check_deadline(missed.due_on + timedelta(days=1))
        await handlers.save(uow, missed, deps, organisation=missed.responsible_organisation, actor=SYSTEM_ACTOR,
                            correlation_id=missed.assessment_id)
        await uow.commit()

    # Kela's client, then registered as a jobseeker: the case moves and its clock restarts (no event of
    # assessment's records either).
    c, payload = await register(services, tokens, "kela_notification", "kela")
    await case_of(services, tokens, c)
    jobseeker = body("employment_region_jobseeker", person_overrides=payload["person"])
    status, answer = await acall("POST", intake_url + PATHS["employment_region_jobseeker"],
                                 await tokens("intake", "employment-region", "system"), jobseeker)
    assert status in (200, 201) and answer["client_id"] == str(c), answer

    async def moved():
        return (await case_of(services, tokens, c))["responsible_organisation"] == "employment-region"

    assert await eventually(moved)

    # A jobseeker erased at their request: the case closes (again without an event of assessment's).
    e, _ = await register(services, tokens, "employment_region_jobseeker", "employment-region")
    await case_of(services, tokens, e)
    status, answer = await acall("POST", f"{intake_url}/clients/{e}/erasure",
                                 await tokens("intake", "employment-region"), {"basis": "client_request"})
    assert status == 200, answer

    # A client for guidance only: a client view, no case.
    d, _ = await register(services, tokens, "municipal_newcomer_notice", "hango")
    return [a, b, c, d, e]


async def settled(assessment_db: asyncpg.Pool, intake_pool: asyncpg.Pool, clients: list[UUID]) -> bool:
    """Every intake event of these clients applied by assessment, and both event stores sequenced."""
    intake_ids = await intake_pool.fetch("SELECT event_id FROM event_store WHERE client_id = ANY($1)", clients)
    applied = await assessment_db.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2)",
                                           projection.CONSUMER, [r["event_id"] for r in intake_ids])
    unsequenced = [await pool.fetchval("SELECT count(*) FROM event_store WHERE position IS NULL")
                   for pool in (assessment_db, intake_pool)]
    return applied == len(intake_ids) and unsequenced == [0, 0]


class TestRebuild:
    async def test_client_view_and_cases_rebuilt_from_the_events_equal_the_live_ones(
            self, infra, services, tokens, assessment_db, intake_pool):
        clients = await drive(services, tokens, infra, assessment_db)
        assert await eventually(lambda: settled(assessment_db, intake_pool, clients), timeout=120)

        # Every event assessment publishes occurs, so a projection that drops one fails below.
        types = {r["type"] for r in await assessment_db.fetch(
            "SELECT DISTINCT type FROM event_store WHERE client_id = ANY($1)", clients)}
        assert types == {e.TYPE for e in EVENTS}

        settings = assessment_settings(infra, free_port())
        tables = replay.service_tables("assessment", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS))
        async with replay.scratch_schema(infra.dsn("assessment"), f"rebuild_{uuid.uuid4().hex[:12]}", tables,
                                         drop=True) as into:
            done = await projection.rebuild(assessment_db, intake_pool, into, policy_from(settings))
            assert done.events > 0

            for pool_query in (f"SELECT {VIEW_COLUMNS} FROM client_view WHERE client_id = ANY($1) ORDER BY client_id",
                               f"SELECT {CASE_COLUMNS} FROM cases WHERE client_id = ANY($1) ORDER BY client_id"):
                live = [dict(r) for r in await assessment_db.fetch(pool_query, clients)]
                rebuilt = [dict(r) for r in await into.fetch(pool_query, clients)]
                assert rebuilt == live
            live_cases = await assessment_db.fetch("SELECT client_id, state::text AS state FROM cases "
                                                   "WHERE client_id = ANY($1) ORDER BY client_id", clients)
            rebuilt_cases = await into.fetch("SELECT client_id, state::text AS state FROM cases "
                                             "WHERE client_id = ANY($1) ORDER BY client_id", clients)
            assert len(live_cases) == 4
            assert [derivable(r["state"]) for r in rebuilt_cases] == [derivable(r["state"]) for r in live_cases]
            statuses = {r["client_id"]: case_from_json(r["state"]).status for r in rebuilt_cases}
            assert sorted(statuses.values()) == ["closed", "completed", "open", "scheduled"]
            assert await into.fetchval("SELECT count(*) FROM case_notes") == 0  # notes are not in any event

    async def test_a_rebuild_never_writes_into_an_existing_schema(self, infra):
        tables = replay.service_tables("assessment", MIGRATIONS, (parts.CLIENT_VIEW,))
        name = f"rebuild_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(infra.dsn("assessment"))
        try:
            await conn.execute(f"CREATE SCHEMA {name}; CREATE TABLE {name}.cases (kept int)")
            for refused in ("public", name, "cases; DROP TABLE cases"):
                with pytest.raises(ValueError):
                    async with replay.scratch_schema(infra.dsn("assessment"), refused, tables):
                        pass
            assert await conn.fetchval(f"SELECT count(*) FROM {name}.cases") == 0
            assert await conn.fetchval("SELECT to_regclass('public.cases') IS NOT NULL")
        finally:
            await conn.execute(f"DROP SCHEMA {name} CASCADE")
            await conn.close()
