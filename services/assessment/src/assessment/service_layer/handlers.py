"""The use cases: intake's events applied to the client view and the cases, the officers' commands on a
case, and the deadline job. Each runs in one transaction: the case's state and its events (the outbox)
commit together or not at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import structlog

from backbone.clientkeys import ClientShredded
from backbone.clientview import ClientView
from backbone.clock import FINLAND, Clock
from backbone.unitofwork import retrying
from backbone.workdays import WorkingDays
from contracts.envelope import SYSTEM_ACTOR, Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientErased, ClientSourceAdded
from contracts.vocabulary import Organisation, RegistrationSource, Service
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.domain import rules
from assessment.domain.case import AssessmentCase
from assessment.domain.errors import NotFound, Refused
from assessment.service_layer import commands

log = structlog.get_logger()

LUVN = Organisation.LUVN


@dataclass(frozen=True)
class Policy:
    """The calendar (R31-R33) and R8's target in working days."""

    calendar: WorkingDays
    target_working_days: int = rules.DEFAULT_TARGET_WORKING_DAYS


@dataclass(frozen=True)
class Deps:
    uow: Callable[[], PostgresUnitOfWork]
    clock: Clock
    policy: Policy


@dataclass(frozen=True)
class Outcome:
    assessment_id: UUID
    client_id: UUID
    event_ids: tuple[UUID, ...]
    correlation_id: UUID


async def save(uow: PostgresUnitOfWork, case: AssessmentCase, deps: Deps, *, organisation: str, actor: str,
               correlation_id: UUID, causation_id: UUID | None = None) -> tuple[UUID, ...]:
    now = deps.clock.now()
    events, case.pending = case.pending, []
    envelopes = [Envelope.wrap(e, producer=Service.ASSESSMENT, organisation=organisation, actor=actor,
                               client_id=case.client_id, correlation_id=correlation_id, causation_id=causation_id,
                               recorded_at=now) for e in events]
    await uow.cases.save(case, envelopes, now=now)
    return tuple(e.event_id for e in envelopes)


# -- ownership --------------------------------------------------------------------------------------------

LUVN_STEPS = frozenset({"confirm_luvn", "add_note"})
"""What LUVN may do on a case where it takes part (R6); everything else is the responsible organisation's."""


def check_may_act(case: AssessmentCase, client: ClientView, sender: Organisation, step: str) -> None:
    """Only the organisation responsible today acts on a case (R5, as intake last said); LUVN only where it
    takes part (R6), and only for its own steps. Confirming LUVN's part is LUVN's alone."""
    if step == "confirm_luvn":
        if sender != LUVN:
            raise Refused("ownership.case", "only LUVN confirms its own participation")
        if not case.luvn_required:
            raise Refused("R6", "LUVN takes part only where the client's groups require it")
        return
    if client.may_act(sender):
        return
    if sender == LUVN and case.luvn_required and step in LUVN_STEPS:
        return
    raise Refused("ownership.case", "only the organisation responsible for the client today may act on the case")


# -- intake's events --------------------------------------------------------------------------------------

def _restarts_clock(event: Event) -> bool:
    """A new jobseeker registration restarts R9's clock (programme §4.2; intake's ClientSourceAdded)."""
    return isinstance(event, ClientSourceAdded) and event.source == RegistrationSource.EMPLOYMENT_REGION_JOBSEEKER


def follow_case(case: AssessmentCase, event: Event, client: ClientView, policy: Policy) -> None:
    """An open case follows one of intake's events (the client view already applied it): the responsible
    organisation, LUVN's part, the jobseeker's clock (restarted by a new jobseeker registration) and the
    erasure. No event records this: a rebuild (`service_layer.projection`) runs the same function on
    intake's events."""
    case.follow(responsible_organisation=client.responsible_organisation,
                luvn_required=client.luvn_participation_required,
                registered_jobseeker=client.registered_jobseeker or _restarts_clock(event))
    if _restarts_clock(event):
        assert isinstance(event, ClientSourceAdded)
        case.restart_clock(event.registered_on, registered_jobseeker=True, calendar=policy.calendar,
                           target_working_days=policy.target_working_days)
    if not client.active:
        case.close()


async def follow_client(uow: PostgresUnitOfWork, envelope: Envelope, event: Event, client: ClientView | None,
                        deps: Deps) -> None:
    """After the client view applied one of intake's events (same transaction): open the case of a client
    to be assessed at once (R8), none for guidance only, one later when the state changes; the case follows
    the responsible organisation and LUVN's part; an erasure closes it and destroys its notes."""
    if client is None:
        return  # an event about a client never seen registered: the view ignored it too
    if isinstance(event, ClientErased):
        await uow.notes.destroy(client.client_id)
    case = await uow.cases.for_client(client.client_id, for_update=True)
    policy = deps.policy
    jobseeker = client.registered_jobseeker or _restarts_clock(event)
    if case is None:
        if not client.active or not rules.case_needed(client.state):
            return
        if isinstance(event, ClientSourceAdded):
            registered_on = event.registered_on  # the source that made the client one to be assessed
        else:
            registered_on = client.registered_on or envelope.occurred_at.astimezone(FINLAND).date()
        case = AssessmentCase.open(client.client_id, opened_on=deps.clock.today(), registered_on=registered_on,
                                   registered_jobseeker=jobseeker,
                                   responsible_organisation=client.responsible_organisation,
                                   luvn_required=client.luvn_participation_required, calendar=policy.calendar,
                                   target_working_days=policy.target_working_days)
    elif case.status == "closed":
        return
    else:
        follow_case(case, event, client, policy)
    await save(uow, case, deps, organisation=case.responsible_organisation, actor=SYSTEM_ACTOR,
               correlation_id=envelope.correlation_id, causation_id=envelope.event_id)


# -- the officers' commands -------------------------------------------------------------------------------

async def on_case(cmd: commands.Command, deps: Deps, step: str, change: Callable[[AssessmentCase, ClientView],
                                                                                  None]) -> Outcome:
    """Load the case (locked), check who acts, let `change` decide, save; one transaction, nothing half-applied."""
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            case = await uow.cases.get(cmd.assessment_id, for_update=True)
            if case is None:
                raise NotFound("case")
            client = await uow.client(case.client_id)
            if case.status == "closed" or client is None or not client.active:
                raise NotFound("case")
            check_may_act(case, client, cmd.sender, step)
            change(case, client)
            event_ids = await save(uow, case, deps, organisation=cmd.sender, actor=cmd.actor,
                                   correlation_id=cmd.correlation_id)
            await uow.commit()
        return Outcome(case.assessment_id, case.client_id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def book_interview(cmd: commands.BookInterview, deps: Deps) -> Outcome:
    def change(case: AssessmentCase, client: ClientView) -> None:
        case.book_interview(cmd.interview_id, scheduled_at=cmd.scheduled_at, place=cmd.place, language=cmd.language,
                            interpreter=cmd.interpreter, interpreter_mode=cmd.interpreter_mode,
                            cancellation_instructions_given=cmd.cancellation_instructions_given,
                            client_languages=client.languages, now=deps.clock.now())
    return await on_case(cmd, deps, "book_interview", change)


async def hold_interview(cmd: commands.HoldInterview, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "hold_interview", lambda case, _: case.hold_interview(cmd.held_on, cmd.topics))


async def inform(cmd: commands.Inform, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "inform", lambda case, _: case.inform(cmd.on, cmd.topics))


async def record_missed(cmd: commands.RecordMissed, deps: Deps) -> Outcome:
    def change(case: AssessmentCase, _: ClientView) -> None:
        case.record_missed(cmd.missed_on, kind=cmd.kind, justified=cmd.justified, age=cmd.age,
                           interpretation_cost_cents=cmd.interpretation_cost_cents)
    return await on_case(cmd, deps, "record_missed", change)


async def confirm_luvn(cmd: commands.ConfirmLuvn, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "confirm_luvn", lambda case, _: case.confirm_luvn(cmd.on))


async def record_competence(cmd: commands.RecordCompetence, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "record_competence",
                         lambda case, _: case.record_competence(cmd.competence, cmd.service_needs))


async def complete(cmd: commands.Complete, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "complete", lambda case, _: case.complete(cmd.on))


async def reopen(cmd: commands.Reopen, deps: Deps) -> Outcome:
    return await on_case(cmd, deps, "reopen", lambda case, _: case.reopen(cmd.on, cmd.reason))


async def add_note(cmd: commands.AddNote, deps: Deps) -> Outcome:
    """A free-text note, sealed under the client's key; nothing is published."""
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            case = await uow.cases.get(cmd.assessment_id)
            client = None if case is None else await uow.client(case.client_id, for_update=True)
            if case is None or case.status == "closed" or client is None or not client.active:
                raise NotFound("case")
            check_may_act(case, client, cmd.sender, "add_note")
            try:
                await uow.notes.add(cmd.note_id, case.assessment_id, case.client_id, organisation=cmd.sender,
                                    actor=cmd.actor, text=cmd.text, now=deps.clock.now())
            except ClientShredded:
                raise NotFound("case") from None
            await uow.commit()
        return Outcome(case.assessment_id, case.client_id, (), cmd.correlation_id)

    return await retrying(attempt)


# -- the deadline job -------------------------------------------------------------------------------------

async def publish_missed_deadlines(deps: Deps, *, today: date | None = None, batch: int = 200) -> int:
    """R8/R9: `DeadlineMissed` once for each case whose initial interview is past due. Each case is checked
    under its row lock and remembers the due days it reported, so two instances (or two runs) never publish
    the same miss twice. Returns how many were published."""
    today = today or deps.clock.today()
    async with deps.uow() as uow:
        candidates = await uow.cases.past_due(today, 100_000)
    published = 0
    for start in range(0, len(candidates), batch):
        async def attempt(ids: list[UUID] = candidates[start:start + batch]) -> int:
            count = 0
            async with deps.uow() as uow:
                for assessment_id in ids:
                    case = await uow.cases.get(assessment_id, for_update=True)
                    if case is not None and case.check_deadline(today):
                        await save(uow, case, deps, organisation=case.responsible_organisation, actor=SYSTEM_ACTOR,
                                   correlation_id=case.assessment_id)
                        count += 1
                await uow.commit()
            return count
        published += await retrying(attempt)
    if published:
        log.info("missed deadlines published", count=published)
    return published
