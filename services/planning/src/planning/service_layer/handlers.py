"""Planning's use cases: each loads a plan, lets the domain decide, and saves its events with the query
tables in one transaction (retried after a concurrent change). Reactions to other services' events run
inside the inbox's transaction; commands from the API in their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4, uuid5

import structlog

from backbone.clientview import ClientView
from backbone.clock import SystemClock
from backbone.unitofwork import retrying
from contracts.envelope import SYSTEM_ACTOR, Envelope
from contracts.events.assessment import AssessmentCompleted
from contracts.events.guidance import ReferralMade
from contracts.events.planning import InterruptionCause, PlanEndReason, ReviewOccasion
from contracts.registry import decode
from contracts.vocabulary import ExtensionReason, Organisation, Service, TargetGroup
from planning.adapters.postgres import PostgresPlans, PostgresUnitOfWork
from planning.domain.errors import NotFound, Refused
from planning.domain.plan import Agreement, ClientFacts, Content, Plan, Policy

log = structlog.get_logger()

PLAN_IDS = UUID("a3c5f0e2-8d4b-4f61-9c7a-1e2b3d4c5f60")
"""Namespace of plan ids: one plan per assessment, whatever how often its completion is delivered."""


@dataclass(frozen=True)
class Deps:
    uow: Callable[[], PostgresUnitOfWork]
    clock: Any = field(default_factory=SystemClock)
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True)
class Context:
    """Who acts, and how the events link to what caused them."""

    organisation: Organisation
    actor: str
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True)
class Outcome:
    plan_id: UUID
    client_id: UUID
    event_ids: tuple[UUID, ...]
    correlation_id: UUID


def facts_of(client: ClientView) -> ClientFacts:
    groups = set(client.target_groups)
    return ClientFacts(
        responsible_organisation=Organisation(client.responsible_organisation),
        registered_jobseeker=client.registered_jobseeker, languages=client.languages,
        window_ends_on=client.window_ends_on, trafficking_victim=TargetGroup.TRAFFICKING_VICTIM in groups,
        international_protection=TargetGroup.INTERNATIONAL_PROTECTION in groups,
        luvn_participation=client.luvn_participation_required)


async def active_client(uow: PostgresUnitOfWork, client_id: UUID) -> ClientView:
    client = await uow.client(client_id)
    if client is None or not client.active:
        raise NotFound("client")
    return client


async def save(uow: PostgresUnitOfWork, plan: Plan, ctx: Context, deps: Deps) -> tuple[UUID, ...]:
    """Append the plan's pending events, each caused by the one before (the first by `ctx.causation_id`, else
    the plan's last event), all in the plan's correlation unless the caller gave one."""
    row = await uow.plans.row(plan.id) if plan.version else None  # a new plan has no row yet
    correlation = ctx.correlation_id or (row["correlation_id"] if row else uuid4())
    causation = ctx.causation_id or (row["last_event_id"] if row else None)
    now = deps.clock.now()
    events, plan.pending = plan.pending, []
    envelopes = []
    for event in events:
        envelope = Envelope.wrap(event, producer=Service.PLANNING, organisation=ctx.organisation, actor=ctx.actor,
                                 client_id=plan.client_id, correlation_id=correlation, causation_id=causation,
                                 recorded_at=now)
        envelopes.append(envelope)
        causation = envelope.event_id
    await uow.plans.save(plan, envelopes, correlation_id=row["correlation_id"] if row else correlation, now=now)
    return tuple(e.event_id for e in envelopes)


Change = Callable[[PostgresUnitOfWork, Plan, ClientView], Awaitable[None]]


async def on_plan(plan_id: UUID, ctx: Context, deps: Deps, change: Change, *, note: str | None = None) -> Outcome:
    """Load the plan and its client, let `change` decide, save its events (and an encrypted note); one
    transaction, retried after a conflict."""
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            plan = await uow.plans.get(plan_id)
            if plan is None:
                raise NotFound("plan")
            client = await active_client(uow, plan.client_id)
            await change(uow, plan, client)
            row = await uow.plans.row(plan_id)
            event_ids = await save(uow, plan, ctx, deps)
            if note and event_ids:
                await uow.notes.add(uuid4(), plan.id, plan.client_id, event_ids[-1], note, ctx.actor)
            await uow.commit()
        return Outcome(plan.id, plan.client_id, event_ids, ctx.correlation_id or row["correlation_id"])

    return await retrying(attempt)


# --- reactions to other services' events --------------------------------------------------------


async def assessment_completed(uow: PostgresUnitOfWork, envelope: Envelope, event: AssessmentCompleted,
                               deps: Deps) -> UUID | None:
    """R4, R10, R11: a completed assessment that shows a need opens a plan to be drawn up (once)."""
    if not event.plan_needed:
        return None
    await uow.pending.lock(envelope.client_id)
    client = await uow.client(envelope.client_id)
    if client is None:  # intake's topic is behind: act when the registration arrives (client_changed)
        await uow.pending.keep(envelope)
        log.info("assessment kept until its client is known", client_id=str(envelope.client_id))
        return None
    if not client.active:
        raise Refused("state.client", "the client was erased or merged into another")
    plan_id = uuid5(PLAN_IDS, str(event.assessment_id))
    if await uow.plans.exists_or_open(plan_id, client.client_id):
        log.info("plan already open for client", client_id=str(client.client_id))
        return None
    facts = facts_of(client)
    if event.luvn_participation_required:  # the assessment found services to coordinate with LUVN (R6)
        facts = replace(facts, luvn_participation=True)
    plan = Plan.open(plan_id, client.client_id, assessment_id=event.assessment_id, completed_on=event.completed_on,
                     plan_needed=True, facts=facts, policy=deps.policy)
    await save(uow, plan, Context(Organisation(client.responsible_organisation), SYSTEM_ACTOR,
                                  envelope.correlation_id, envelope.event_id), deps)
    return plan_id


async def client_changed(uow: PostgresUnitOfWork, envelope: Envelope, before: ClientView | None,
                         after: ClientView | None, deps: Deps) -> None:
    """A new client: the assessments that arrived first open their plans now. R5: a new responsible organisation
    takes over the client's open plan. Erasure destroys the notes."""
    if after is None:
        return
    if before is None:
        await uow.pending.lock(after.client_id)
        for pending in await uow.pending.take(after.client_id):
            await assessment_completed(uow, pending, decode(pending), deps)
    if after.erased:
        await uow.notes.erase(after.client_id)
        return
    if before is None or before.responsible_organisation == after.responsible_organisation:
        return
    row = await uow.plans.open_for(after.client_id)
    if row is None:
        return
    plan = await uow.plans.get(row["plan_id"])
    plan.hand_over(to=Organisation(after.responsible_organisation),
                   effective_on=after.responsible_since or deps.clock.today())
    await save(uow, plan, Context(Organisation(after.responsible_organisation), SYSTEM_ACTOR,
                                  envelope.correlation_id, envelope.event_id), deps)


async def referral_made(plans: PostgresPlans, envelope: Envelope, event: ReferralMade) -> None:
    """R12: a referral to one of the plan's services meets its deadline (without a plan id: the client's
    plan in force). On `plans` alone: a rebuild (`service_layer.projection`) runs it on rebuilt tables."""
    row = await (plans.row(event.plan_id) if event.plan_id else plans.open_for(envelope.client_id))
    if row is None or row["client_id"] != envelope.client_id or event.service_code not in row["services"]:
        log.info("referral outside any plan's services", referral_id=str(event.referral_id))
        return
    await plans.record_referral(row["plan_id"], event.service_code, event.referral_id, event.referred_on)


async def check_deadlines(deps: Deps, *, limit: int = 200) -> int:
    """Publish each missed deadline once (R10-R13); returns how many plans were looked at."""
    today = deps.clock.today()
    async with deps.uow() as uow:
        plan_ids = await uow.plans.with_deadlines_passed(today, limit)
    for plan_id in plan_ids:
        async def attempt(plan_id: UUID = plan_id) -> None:
            async with deps.uow() as uow:
                plan = await uow.plans.get(plan_id)
                plan.check_deadlines(today, await uow.plans.referred(plan_id))
                await save(uow, plan, Context(plan.owner, SYSTEM_ACTOR), deps)
                await uow.commit()
        await retrying(attempt)
    return len(plan_ids)


# --- officers' commands ----------------------------------------------------------------------------


async def issue(plan_id: UUID, ctx: Context, deps: Deps, *, starts_on: date, ends_on: date, content: Content,
                agreement: Agreement | None, under_25: bool, quota_refugee: bool, note: str | None) -> Outcome:
    async def change(uow: PostgresUnitOfWork, plan: Plan, client: ClientView) -> None:
        plan.issue(by=ctx.organisation, today=deps.clock.today(), starts_on=starts_on, ends_on=ends_on,
                   plan_content=content, agreement=agreement, facts=facts_of(client), under_25=under_25,
                   quota_refugee=quota_refugee, policy=deps.policy)
    return await on_plan(plan_id, ctx, deps, change, note=note)


async def refuse(plan_id: UUID, ctx: Context, deps: Deps, *, refused_on: date, good_reason: bool,
                 note: str | None) -> Outcome:
    async def change(_: PostgresUnitOfWork, plan: Plan, __: ClientView) -> None:
        plan.refuse(by=ctx.organisation, today=deps.clock.today(), refused_on=refused_on, good_reason=good_reason)
    return await on_plan(plan_id, ctx, deps, change, note=note)


async def extend(plan_id: UUID, ctx: Context, deps: Deps, *, until: date, reason: ExtensionReason, under_25: bool,
                 interruption_id: UUID | None, note: str | None) -> Outcome:
    async def change(_: PostgresUnitOfWork, plan: Plan, __: ClientView) -> None:
        plan.extend(by=ctx.organisation, until=until, reason=reason, under_25=under_25, interruption_id=interruption_id)
    return await on_plan(plan_id, ctx, deps, change, note=note)


async def review(plan_id: UUID, ctx: Context, deps: Deps, *, reviewed_on: date, occasion: ReviewOccasion,
                 note: str | None) -> Outcome:
    async def change(_: PostgresUnitOfWork, plan: Plan, __: ClientView) -> None:
        plan.review(by=ctx.organisation, today=deps.clock.today(), reviewed_on=reviewed_on, occasion=occasion)
    return await on_plan(plan_id, ctx, deps, change, note=note)


async def record_interruption(plan_id: UUID, ctx: Context, deps: Deps, *, interruption_id: UUID,
                              cause: InterruptionCause, from_on: date, to_on: date) -> Outcome:
    async def change(_: PostgresUnitOfWork, plan: Plan, __: ClientView) -> None:
        plan.record_interruption(by=ctx.organisation, today=deps.clock.today(), interruption_id=interruption_id,
                                 cause=cause, from_on=from_on, to_on=to_on)
    return await on_plan(plan_id, ctx, deps, change)


async def end(plan_id: UUID, ctx: Context, deps: Deps, *, ended_on: date, reason: PlanEndReason) -> Outcome:
    async def change(_: PostgresUnitOfWork, plan: Plan, __: ClientView) -> None:
        plan.end(by=ctx.organisation, today=deps.clock.today(), ended_on=ended_on, reason=reason)
    return await on_plan(plan_id, ctx, deps, change)


async def import_plan(client_id: UUID, ctx: Context, deps: Deps, *, made_on: date, first_starts_on: date,
                      starts_on: date, ends_on: date, content: Content, reviewed: bool,
                      last_review_on: date | None) -> Outcome:
    """R18: bring in a plan made before 1.1.2025; only the client's responsible organisation may."""
    plan_id = uuid4()
    correlation = ctx.correlation_id or uuid4()

    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            client = await active_client(uow, client_id)
            if client.responsible_organisation != ctx.organisation:
                raise Refused("ownership.client", "only the client's responsible organisation may import a plan")
            if await uow.plans.open_for(client_id) is not None:
                raise Refused("state.plan", "the client already has a plan to be drawn up or in force")
            plan = Plan.imported(plan_id, client_id, made_on=made_on, first_starts_on=first_starts_on,
                                 starts_on=starts_on, ends_on=ends_on, plan_content=content, reviewed=reviewed,
                                 last_review_on=last_review_on, facts=facts_of(client))
            event_ids = await save(uow, plan, Context(ctx.organisation, ctx.actor, correlation, ctx.causation_id),
                                   deps)
            await uow.commit()
        return Outcome(plan_id, client_id, event_ids, correlation)

    return await retrying(attempt)
