"""Planning's read models rebuilt from the events (`service_layer.projection`, issue 14's replay) equal the live
ones row for row: plans carried over HTTP through every event planning publishes (a refusal, issue,
interruption, extension, review, a referral from guidance, a missed deadline, a handover, the end, a second
plan counting from the first, an imported plan), then `plans`, `plan_deadlines_missed`, `plan_referrals` and
`client_view` rebuilt from planning's event store and the topics into a scratch schema and compared."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from backbone import parts, replay
from backbone.clientkeys import ClientKeys
from backbone.clock import FixedClock
from contracts.envelope import SYSTEM_ACTOR, Envelope
from contracts.events.guidance import ReferralMade
from contracts.events.intake import ResponsibilityAssigned
from contracts.events.planning import EVENTS
from contracts.topics import event_topic
from planning.adapters.postgres import PostgresUnitOfWork
from planning.bootstrap import MIGRATIONS
from planning.service_layer import handlers, projection
from services.planning.tests.conftest import bearer, eventually, registered_and_assessed
from services.planning.tests.events import SERVICES, TODAY, completed, issue_body
from tests.support.events import registered

pytestmark = pytest.mark.integration

NOT_DERIVABLE = {"plans": ("opened_seq",)}
"""A sequence's numbers: a rebuild numbers the plans in the same order (checked below), not the same numbers."""
QUERIES = {
    "plans": "SELECT * FROM plans WHERE client_id = ANY($1) ORDER BY plan_id",
    "plan_deadlines_missed": "SELECT m.* FROM plan_deadlines_missed m JOIN plans p USING (plan_id) "
                             "WHERE p.client_id = ANY($1) ORDER BY 1, 2, 3, 4",
    "plan_referrals": "SELECT r.* FROM plan_referrals r JOIN plans p USING (plan_id) WHERE p.client_id = ANY($1) "
                      "ORDER BY 1, 2",
    "client_view": "SELECT * FROM client_view WHERE client_id = ANY($1) ORDER BY client_id",
}
NOT_DERIVABLE["client_view"] = ("updated_at",)  # when the row was written


def keys(infra) -> ClientKeys:
    return ClientKeys.from_setting(infra.secrets["planning"]["vault_master_keys"])


async def drive(infra, publish, planning_db, planning_url, planning_tokens) -> list[uuid.UUID]:
    officer, new_owner = await planning_tokens("employment-region"), await planning_tokens("raseborg")
    client_id, registration, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        async def post(path: str, body: dict, token: str = officer) -> None:
            answer = await http.post(path, json=body, headers=bearer(token))
            assert answer.status_code == 201, (path, answer.text)

        base = f"/plans/{plan_id}"
        await post(f"{base}/refusals", {"refused_on": str(TODAY), "good_reason": True})
        await post(f"{base}/issue", issue_body())
        interruption = str(uuid.uuid4())
        await post(f"{base}/interruptions", {"interruption_id": interruption, "cause": "illness",
                                             "from_on": str(TODAY), "to_on": str(TODAY)})
        await post(f"{base}/extensions", {"until": str(TODAY + timedelta(days=300)),
                                          "reason": "continued_within_maximum"})
        await post(f"{base}/reviews", {"reviewed_on": str(TODAY), "occasion": "situation_changed"})

        # Guidance refers to the first service; the month passes and the second is missed (R12): the deadline
        # job's step, on this plan only.
        await publish(Envelope.wrap(
            ReferralMade(referral_id=uuid.uuid4(), plan_id=plan_id, service_code=SERVICES[0],
                         provider_code="mbi-raseborg", referred_on=TODAY, language="ar"),
            producer="guidance", organisation="employment-region", actor="officer-9", client_id=client_id,
            correlation_id=registration.correlation_id))
        await eventually(lambda: planning_db.fetchval("SELECT count(*) FROM plan_referrals WHERE plan_id = $1",
                                                      plan_id))
        later = FixedClock(datetime.combine(TODAY + timedelta(days=40), datetime.min.time()).astimezone())
        deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(planning_db, keys(infra)), clock=later)
        async with deps.uow() as uow:
            plan = await uow.plans.get(plan_id)
            plan.check_deadlines(later.today(), await uow.plans.referred(plan_id))
            assert plan.pending
            await handlers.save(uow, plan, handlers.Context(plan.owner, SYSTEM_ACTOR), deps)
            await uow.commit()

        # Intake moves the client (R5): the plan is handed over; the new owner ends it.
        await publish(Envelope.wrap(
            ResponsibilityAssigned(previous_organisation="employment-region", responsible_organisation="raseborg",
                                   effective_on=TODAY, reason="no_longer_registered_jobseeker"),
            producer="intake", organisation="employment-region", actor="ingress.employment-region",
            client_id=client_id, correlation_id=uuid.uuid4()))
        await eventually(lambda: planning_db.fetchval("SELECT owner = 'raseborg' FROM plans WHERE plan_id = $1",
                                                      plan_id))
        await post(f"{base}/end", {"ended_on": str(TODAY), "reason": "employment"}, new_owner)

        # A second assessment opens a second plan, which counts from the first one's start (R14).
        await publish(completed(client_id, registration))
        second = await eventually(lambda: planning_db.fetchval(
            "SELECT plan_id FROM plans WHERE client_id = $1 AND status <> 'ended'", client_id))
        await post(f"/plans/{second}/issue", issue_body(), new_owner)

        # A plan made before the service existed, imported for another client.
        other = uuid.uuid4()
        await publish(registered(other))
        await eventually(lambda: planning_db.fetchval("SELECT count(*) FROM client_view WHERE client_id = $1", other))
        await post("/plans/imports", {**{k: v for k, v in issue_body().items() if k not in ("agreement", "note")},
                                      "client_id": str(other), "made_on": "2024-06-01", "first_starts_on": "2024-06-01",
                                      "starts_on": "2024-06-01", "ends_on": str(TODAY + timedelta(days=30)),
                                      "reviewed": False})
    return [client_id, other]


async def test_plans_referrals_deadlines_and_client_view_rebuilt_from_the_events_equal_the_live_ones(
        infra, publish, planning_db, planning_url, planning_tokens):
    clients = await drive(infra, publish, planning_db, planning_url, planning_tokens)

    async def sequenced() -> bool:
        return await planning_db.fetchval("SELECT count(*) FROM event_store WHERE position IS NULL") == 0

    assert await eventually(sequenced)
    types = {r["type"] for r in await planning_db.fetch(
        "SELECT DISTINCT type FROM event_store WHERE client_id = ANY($1)", clients)}
    assert types == {e.TYPE for e in EVENTS}  # every event planning publishes, so a dropped one fails below

    tables = replay.service_tables("planning", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS))
    consumed = {name: replay.from_topic(infra.kafka_kwargs("planning"), event_topic(service))
                for name, service in projection.CONSUMED.items()}
    async with replay.scratch_schema(infra.dsn("planning"), f"rebuild_{uuid.uuid4().hex[:12]}", tables,
                                     drop=True) as into:
        done = await projection.rebuild(planning_db, consumed, into)
        assert done.events > 0
        for table, query in QUERIES.items():
            skip = NOT_DERIVABLE.get(table, ())
            live = [{k: v for k, v in r.items() if k not in skip} for r in await planning_db.fetch(query, clients)]
            rebuilt = [{k: v for k, v in r.items() if k not in skip} for r in await into.fetch(query, clients)]
            assert live, table
            assert rebuilt == live, table
        order = "SELECT plan_id FROM plans WHERE client_id = ANY($1) ORDER BY opened_seq"
        assert await into.fetch(order, clients) == await planning_db.fetch(order, clients)
        assert await into.fetchval("SELECT count(*) FROM plan_notes") == 0  # free text is in no event
