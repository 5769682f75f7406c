"""What guidance does with other services' events: intake's clients (through `backbone.clientview`) and
planning's plans (its own read model), and R12's deadline for referring under a plan."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from backbone import clientview
from backbone.clock import FINLAND
from backbone.inbox import Subscription
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientErased
from contracts.events.planning import PlanEnded, PlanExtended, PlanHandedOver, PlanIssued
from contracts.topics import event_topic
from guidance.adapters.events import Context, append
from guidance.domain.referral import r12_due_on
from guidance.service_layer import referrals
from guidance.service_layer.deps import Deps


def clients(deps: Deps) -> Subscription:
    """Intake's clients into `client_view`; an erasure shreds the client's key and cancels open referrals."""

    async def then(conn: asyncpg.Connection, envelope: Envelope, event: Event, before, after) -> None:
        if isinstance(event, ClientErased) and after is not None:
            await referrals.on_erased(conn, deps, envelope.client_id, after.responsible_organisation,
                                      envelope.event_id)

    return clientview.subscription("clients", then=then)


def plans(deps: Deps) -> Subscription:
    """Planning's plans: issued (R12's one-month deadline starts), extended, handed over (R5), ended."""

    async def handle(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        await follow_plan(conn, envelope, event, deps.calendar)

    return Subscription(name="plans", topics=(event_topic("planning"),), handler=handle)


async def follow_plan(conn: asyncpg.Connection, envelope: Envelope, event: Event, calendar: WorkingDays) -> None:
    """One of planning's events into guidance's `plans`: the one writer of its rows from planning's events, for
    the live path and a rebuild (`service_layer.projection`) alike."""
    if isinstance(event, PlanIssued):
        drawn_up_on = envelope.occurred_at.astimezone(FINLAND).date()
        await conn.execute(
            """INSERT INTO plans (plan_id, client_id, responsible_organisation, drawn_up_on, ends_on, r12_due_on)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan_id) DO NOTHING""",
            event.plan_id, envelope.client_id, str(event.responsible_organisation), drawn_up_on, event.ends_on,
            r12_due_on(drawn_up_on, calendar))
    elif isinstance(event, PlanExtended):
        await conn.execute("UPDATE plans SET ends_on = $2 WHERE plan_id = $1", event.plan_id, event.until)
    elif isinstance(event, PlanEnded):
        await conn.execute("UPDATE plans SET ended_on = $2 WHERE plan_id = $1", event.plan_id, event.ended_on)
    elif isinstance(event, PlanHandedOver):  # R5: the new organisation owns the plan and its R12 deadline
        await conn.execute("UPDATE plans SET responsible_organisation = $2 WHERE plan_id = $1", event.plan_id,
                           str(event.responsible_organisation))


async def mark_overdue(conn: asyncpg.Connection, plan_id: UUID) -> None:
    """R12's PlanReferralOverdue was published for the plan (the live path and a rebuild alike)."""
    await conn.execute("UPDATE plans SET r12_overdue_published = true WHERE plan_id = $1", plan_id)


async def plans_without_referral(deps: Deps) -> int:
    """R12: a plan in force with no referral made under it by the day after its deadline gets one
    `PlanReferralOverdue` (on the plan's own stream in guidance). Returns how many."""
    from contracts.events.guidance import PlanReferralOverdue

    today: date = deps.clock.today()
    published = 0
    async with deps.transaction() as conn:
        rows = await conn.fetch(
            """SELECT p.* FROM plans p
               WHERE NOT p.r12_overdue_published AND p.ended_on IS NULL AND p.r12_due_on < $1
                 AND NOT EXISTS (SELECT 1 FROM client_view c WHERE c.client_id = p.client_id
                                 AND (c.erased_on IS NOT NULL OR c.merged_into IS NOT NULL))
                 AND NOT EXISTS (SELECT 1 FROM referrals r
                                 WHERE r.plan_id = p.plan_id AND r.referred_on <= p.r12_due_on)
               ORDER BY p.r12_due_on FOR UPDATE OF p SKIP LOCKED""", today)
        for row in rows:
            event = PlanReferralOverdue(plan_id=row["plan_id"], drawn_up_on=row["drawn_up_on"],
                                        due_on=row["r12_due_on"])
            await append(conn, row["plan_id"], 0, [event], client_id=row["client_id"],
                         ctx=Context.system(row["responsible_organisation"]), now=deps.clock.now())
            await mark_overdue(conn, row["plan_id"])
            published += 1
    return published
