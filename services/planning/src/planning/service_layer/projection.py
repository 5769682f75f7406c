"""Planning's read models rebuilt from the events (issue 14, replay): `plans`, `plan_deadlines_missed`,
`plan_referrals` and `client_view`.

Plans are event-sourced: each of planning's events is folded into its plan (`Plan.when`, as `from_history`
does; a later plan counts from the allowance of the client's latest earlier plan, R14) and the rows are
written by the live path's writer (`adapters.postgres.write_plan`). `plan_referrals` come from guidance's
ReferralMade, applied by the live handler (`handlers.referral_made`) on the rebuilt `plans`; `client_view`
from intake's events. Other services' events are read from their topics (or event stores) and put in the
order planning applied them (`backbone.replay.applied_pages`).

Not rebuilt: `plan_notes` (free text sealed under the client's key, in no event) and
`pending_assessments` (assessments waiting for their client: a plan they opened is in planning's events).
`plans.opened_seq` is a sequence: a rebuild numbers the plans in the same order, not with the same numbers.

`python -m planning rebuild --into SCHEMA` reads planning's event store and the topics of intake and
guidance with planning's own credentials, and writes into a new schema of planning's database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

import asyncpg

from backbone import clientview, replay
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.guidance import EVENTS as GUIDANCE_EVENTS
from contracts.events.guidance import ReferralMade
from contracts.events.intake import EVENTS as INTAKE_EVENTS
from contracts.events.operations import OperationsEvent
from contracts.topics import event_topic
from planning.adapters.postgres import PostgresPlans, write_plan
from planning.config import PlanningSettings
from planning.domain.limits import Allowance
from planning.domain.plan import PLAN_EVENT_TYPES, Plan
from planning.service_layer.handlers import referral_made

INTAKE: frozenset[str] = frozenset(e.TYPE for e in INTAKE_EVENTS)
GUIDANCE: frozenset[str] = frozenset(e.TYPE for e in GUIDANCE_EVENTS)
CONSUMED = {"clients": "intake", "referrals": "guidance"}
"""Planning's subscriptions (inbox names, `entrypoints.events`) whose events a rebuild applies, and the services
whose topics they read. Its third, `assessments`, needs none: the plans it opened are in planning's events."""


class PlansProjection:
    """`apply` / `apply_batch` for `backbone.replay`. Keeps every plan it folded in memory (the query rows hold
    only part of a plan), so one instance rebuilds from the first event on."""

    def __init__(self) -> None:
        self.plans: dict[UUID, tuple[Plan, UUID]] = {}  # the plan, and the correlation its row was opened in
        self.of_client: dict[UUID, list[UUID]] = {}  # plan ids, in the order they were opened

    def _earlier(self, client_id: UUID) -> Allowance | None:
        """As `PostgresPlans.earlier_allowance`: the allowance of the client's latest plan that was in force."""
        for plan_id in reversed(self.of_client.get(client_id, [])):
            allowance = self.plans[plan_id][0].allowance
            if allowance is not None and allowance.first_starts_on is not None:
                return allowance
        return None

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        await self.apply_batch(conn, [(envelope, event)])

    async def apply_batch(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Event]]) -> None:
        unwritten: dict[UUID, list[Envelope]] = {}  # plans changed since their rows were written

        async def flush() -> None:
            for plan_id, envelopes in unwritten.items():
                plan, correlation = self.plans[plan_id]
                await write_plan(conn, plan, envelopes, correlation_id=correlation, now=envelopes[-1].recorded_at)
            unwritten.clear()

        for envelope, event in items:
            if envelope.type in PLAN_EVENT_TYPES:
                plan_id = event.plan_id  # every event of planning names its plan
                if plan_id not in self.plans:
                    earlier = self._earlier(envelope.client_id)
                    self.plans[plan_id] = (Plan(plan_id, envelope.client_id, earlier=earlier), envelope.correlation_id)
                    self.of_client.setdefault(envelope.client_id, []).append(plan_id)
                self.plans[plan_id][0].when(event)
                unwritten.setdefault(plan_id, []).append(envelope)
            elif envelope.type in INTAKE:
                await clientview.apply(conn, envelope, event)
            elif isinstance(event, ReferralMade):
                await flush()  # the handler reads the plan's row as it is now
                await referral_made(PostgresPlans(conn), envelope, event)
            elif envelope.type in GUIDANCE:
                continue  # as `entrypoints.events`: of guidance's events only ReferralMade changes planning
            elif isinstance(event, OperationsEvent):
                continue  # a dead letter redriven (its audit record): no read model of planning's changes
            else:
                raise ValueError(f"{envelope.type} changes none of planning's read models")
        await flush()


async def rebuild(own: asyncpg.Pool, consumed: Mapping[str, replay.Source], into: asyncpg.Pool) -> replay.Rebuilt:
    """Rebuild into `into` (see the module) from planning's event store and, by subscription name (`CONSUMED`),
    the sources of the events it consumed; the sources are only read."""
    return await replay.rebuild_from(replay.applied_pages(own, consumed), into,
                                     apply_batch=PlansProjection().apply_batch)


def command(argv: Sequence[str], settings: PlanningSettings) -> int:
    """`python -m planning rebuild --into SCHEMA` (`backbone.replay.command`): the topics are read with
    planning's own Kafka credentials."""
    from backbone import parts
    from backbone.kafka import aiokafka_kwargs
    from planning.bootstrap import MIGRATIONS

    kafka = aiokafka_kwargs(settings)

    async def run(own: asyncpg.Pool, _: dict[str, asyncpg.Pool], into: asyncpg.Pool) -> replay.Rebuilt:
        return await rebuild(own, {name: replay.from_topic(kafka, event_topic(service))
                                   for name, service in CONSUMED.items()}, into)

    return replay.command(argv, service="planning", dsn=settings.database_url.get_secret_value(),
                          tables=replay.service_tables("planning", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS)),
                          consumes=(), run=run)
