"""Guidance's read models rebuilt from the events (issue 14, replay): `catalogue_services`, `opening_hours`,
`study_agreements`, `visits`, `referrals`, `plans` and `client_view`.

Guidance's own events rebuild the catalogue, the hours, the agreements, the visits and the referrals (each
referral folded by `Referral.when`, as `from_history` does); planning's events its `plans` (with R12's
PlanReferralOverdue, its own); intake's the client view. Each table is written by the live path's own writer
(`catalogue.write_service`, `write_hours`, `referrals.write_agreement`, `visits.write_visit`,
`reactions.follow_plan`, `reactions.mark_overdue`); the referral rows are written here with the columns the
live path writes, proven equal by `tests/integration/test_rebuild.py`. Other services' events are read from
their topics (or event stores) in the order guidance applied them (`backbone.replay.applied_pages`).

Not rebuilt: the sealed free-text notes of referrals and visits (in no event), `updated_at` (when a row was
written), and `start_places`, the queues of the starts: their order (`seq`) and who holds a place follow from
the referrals' accepted, waitlisted, moved and left events, but no projection writes them yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

import asyncpg

from backbone import clientview, replay
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.guidance import (
    EVENTS,
    CatalogueServiceChanged,
    CatalogueServicePublished,
    CatalogueServiceWithdrawn,
    OpeningHoursSet,
    PlanReferralOverdue,
    ReferralMade,
    VisitFacts,
    VoluntaryStudiesAgreed,
)
from contracts.events.intake import EVENTS as INTAKE_EVENTS
from contracts.events.operations import OperationsEvent
from contracts.events.planning import EVENTS as PLANNING_EVENTS
from contracts.topics import event_topic
from guidance.config import GuidanceSettings
from guidance.domain.referral import REFERRAL_EVENT_TYPES, Referral
from guidance.service_layer import catalogue, reactions, referrals, visits

INTAKE: frozenset[str] = frozenset(e.TYPE for e in INTAKE_EVENTS)
PLANNING: frozenset[str] = frozenset(e.TYPE for e in PLANNING_EVENTS)
OWN: frozenset[str] = frozenset(e.TYPE for e in EVENTS)
CONSUMED = {"clients": "intake", "plans": "planning"}
"""Guidance's subscriptions (inbox names, `service_layer.reactions`) and the services whose topics they read."""


class GuidanceProjection:
    """`apply` / `apply_batch` for `backbone.replay`. Keeps every referral it folded in memory, so one instance
    rebuilds from the first event on."""

    def __init__(self, calendar: WorkingDays) -> None:
        self.calendar = calendar
        self.referrals: dict[UUID, Referral] = {}

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        await self.apply_batch(conn, [(envelope, event)])

    async def apply_batch(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Event]]) -> None:
        for envelope, event in items:
            kind = envelope.type
            if kind in INTAKE:
                await clientview.apply(conn, envelope, event)
            elif kind in PLANNING:
                await reactions.follow_plan(conn, envelope, event, self.calendar)
            elif isinstance(event, OperationsEvent):
                continue  # a dead letter redriven (its audit record): no read model of guidance's changes
            elif kind not in OWN:
                raise ValueError(f"{kind} changes none of guidance's read models")
            elif kind in REFERRAL_EVENT_TYPES:
                await self._referral(conn, envelope, event)
            elif isinstance(event, (CatalogueServicePublished, CatalogueServiceChanged)):
                await catalogue.write_service(conn, event)
            elif isinstance(event, CatalogueServiceWithdrawn):
                await catalogue.write_withdrawn(conn, event)
            elif isinstance(event, OpeningHoursSet):
                await catalogue.write_hours(conn, event)
            elif isinstance(event, VoluntaryStudiesAgreed):
                await referrals.write_agreement(conn, envelope.client_id, event, str(envelope.organisation))
            elif isinstance(event, VisitFacts):
                client = None if event.TYPE == "AnonymousVisitRecorded" else envelope.client_id
                await visits.write_visit(conn, event, client_id=client, organisation=str(envelope.organisation),
                                         note=None)
            elif isinstance(event, PlanReferralOverdue):
                await reactions.mark_overdue(conn, event.plan_id)
            else:
                raise ValueError(f"{kind}: no projection writes it")

    async def _referral(self, conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        referral_id: UUID = event.referral_id  # every event of a referral names it
        if isinstance(event, ReferralMade):
            kind = await conn.fetchval("SELECT kind FROM catalogue_services WHERE service_code = $1",
                                       event.service_code)
            referral = self.referrals[referral_id] = Referral(referral_id, envelope.client_id, kind=kind or "")
            referral.when(event)
            await conn.execute(  # as referrals.make writes it (its note is sealed free text, in no event)
                """INSERT INTO referrals (referral_id, client_id, service_code, provider_code, kind, plan_id, language,
                       referring_organisation, state, referred_on, version, note)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)""",
                referral_id, envelope.client_id, event.service_code, event.provider_code, referral.kind,
                event.plan_id, event.language, str(envelope.organisation), referral.state, event.referred_on,
                referral.version)
            return
        referral = self.referrals[referral_id]
        referral.when(event)
        await conn.execute("UPDATE referrals SET state = $2, starts_on = $3, version = $4, updated_at = now() "
                           "WHERE referral_id = $1", referral_id, referral.state, referral.starts_on, referral.version)


async def rebuild(own: asyncpg.Pool, consumed: Mapping[str, replay.Source], into: asyncpg.Pool,
                  calendar: WorkingDays) -> replay.Rebuilt:
    """Rebuild into `into` (see the module) from guidance's event store and, by subscription name (`CONSUMED`),
    the sources of the events it consumed; the sources are only read."""
    return await replay.rebuild_from(replay.applied_pages(own, consumed), into,
                                     apply_batch=GuidanceProjection(calendar).apply_batch)


def command(argv: Sequence[str], settings: GuidanceSettings) -> int:
    """`python -m guidance rebuild --into SCHEMA` (`backbone.replay.command`): the topics are read with
    guidance's own Kafka credentials."""
    from backbone import parts
    from backbone.kafka import aiokafka_kwargs
    from guidance.bootstrap import MIGRATIONS, calendar_from

    kafka = aiokafka_kwargs(settings)

    async def run(own: asyncpg.Pool, _: dict[str, asyncpg.Pool], into: asyncpg.Pool) -> replay.Rebuilt:
        return await rebuild(own, {name: replay.from_topic(kafka, event_topic(service))
                                   for name, service in CONSUMED.items()}, into, calendar_from(settings))

    return replay.command(argv, service="guidance", dsn=settings.database_url.get_secret_value(),
                          tables=replay.service_tables("guidance", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS)),
                          consumes=(), run=run)
