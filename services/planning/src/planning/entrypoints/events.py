"""What planning consumes, each applied once through the inbox in one transaction with its reaction.

Three subscriptions, one per topic: intake's clients (the read model, handover R5, erasure), assessment's
completions (R4, R10), and guidance's referrals (R12). The topics are consumed independently, so an
assessment may arrive before its client's registration: it is kept and acted on when the client arrives,
never retried or dropped. What can never apply (an erased client) is refused with a rule.
"""

from __future__ import annotations

import asyncpg

from backbone import clientview
from backbone.clientkeys import ClientKeys
from backbone.clientview import ClientView
from backbone.inbox import Subscription
from contracts.envelope import Envelope
from contracts.events.assessment import AssessmentCompleted
from contracts.events.base import Event
from contracts.events.guidance import ReferralMade
from contracts.topics import event_topic
from planning.adapters.postgres import PostgresUnitOfWork
from planning.service_layer import handlers


def subscriptions(deps: handlers.Deps, keys: ClientKeys) -> list[Subscription]:
    async def on_client(conn: asyncpg.Connection, envelope: Envelope, _: Event, before: ClientView | None,
                        after: ClientView | None) -> None:
        async with PostgresUnitOfWork.on_connection(conn, keys) as uow:
            await handlers.client_changed(uow, envelope, before, after, deps)
            await uow.commit()

    async def on_assessment(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, AssessmentCompleted):
            async with PostgresUnitOfWork.on_connection(conn, keys) as uow:
                await handlers.assessment_completed(uow, envelope, event, deps)
                await uow.commit()

    async def on_guidance(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, ReferralMade):
            async with PostgresUnitOfWork.on_connection(conn, keys) as uow:
                await handlers.referral_made(uow.plans, envelope, event)
                await uow.commit()

    return [
        clientview.subscription("clients", then=on_client),
        Subscription("assessments", (event_topic("assessment"),), handler=on_assessment),
        Subscription("referrals", (event_topic("guidance"),), handler=on_guidance),
    ]
