"""The worklist, a case, its events, and a command for each step of the process."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Query

from backbone.auth import Caller
from contracts.events.assessment import ServicePoint
from assessment.domain.case import Competence, LanguageSkill, Status
from assessment.domain.rules import Interpreter
from assessment.entrypoints.http.common import CorrelationHeader, Deps, Officer, Reader, answer, organisation_of
from assessment.entrypoints.schemas import (
    BookingBody,
    CaseDetail,
    CaseSummary,
    CompetenceBody,
    CompletionBody,
    Done,
    InformationBody,
    InterviewHeldBody,
    LuvnBody,
    MissedBody,
    NoteBody,
    NoteOut,
    ReopenBody,
    StreamEntryOut,
)
from assessment.service_layer import commands, handlers, views

router = APIRouter(tags=["cases"])


def _reader(caller: Caller) -> tuple[str, bool]:
    return caller.principal, caller.role == "operator"


@router.get("/cases", response_model=list[CaseSummary])
async def worklist(caller: Reader, deps: Deps, state: Status | None = None,
                   due_before: Annotated[date | None, Query(description="Due strictly before this day")] = None,
                   place: ServicePoint | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   after_due_on: Annotated[date | None, Query(description="due_on of the previous page's last case")]
                   = None,
                   after: Annotated[UUID | None, Query(description="assessment_id of the previous page's last case")]
                   = None) -> list[CaseSummary]:
    """The caller's cases (LUVN: where it takes part; operators: all), soonest due first."""
    if (after is None) != (after_due_on is None):
        raise HTTPException(422, [{"loc": ["query", "after"], "type": "value_error",
                                   "msg": "after and after_due_on go together"}])
    organisation = None if caller.role == "operator" else caller.principal
    rows = await views.worklist(deps.uow(), organisation, status=state, due_before=due_before,
                                place=place.value if place else None, limit=limit,
                                after=(after_due_on, after) if after is not None else None)
    return [CaseSummary(**row) for row in rows]


@router.get("/cases/{assessment_id}", response_model=CaseDetail)
async def case_detail(assessment_id: UUID, caller: Reader, deps: Deps) -> CaseDetail:
    principal, operator = _reader(caller)
    return CaseDetail(**await views.case_detail(deps.uow(), assessment_id, principal, operator=operator))


@router.get("/clients/{client_id}/case", response_model=CaseDetail)
async def case_of_client(client_id: UUID, caller: Reader, deps: Deps) -> CaseDetail:
    """The client's case (one per client), for whoever may see it."""
    principal, operator = _reader(caller)
    assessment_id = await views.case_of_client(deps.uow(), client_id)
    return CaseDetail(**await views.case_detail(deps.uow(), assessment_id, principal, operator=operator))


@router.get("/cases/{assessment_id}/events", response_model=list[StreamEntryOut])
async def case_events(assessment_id: UUID, caller: Reader, deps: Deps) -> list[StreamEntryOut]:
    """The case's events: types and versions, without payloads."""
    principal, operator = _reader(caller)
    return [StreamEntryOut(**e) for e in await views.case_events(deps.uow(), assessment_id, principal,
                                                                 operator=operator)]


def _base(assessment_id: UUID, caller: Caller, correlation_id: UUID | None) -> dict:
    return {"sender": organisation_of(caller), "actor": caller.actor, "assessment_id": assessment_id,
            "correlation_id": correlation_id or uuid4()}


@router.post("/cases/{assessment_id}/interview", response_model=Done)
async def book_interview(assessment_id: UUID, body: BookingBody, caller: Officer, deps: Deps,
                         correlation_id: CorrelationHeader = None) -> Done:
    """Book or re-book the initial interview: publishes `InitialInterviewScheduled` (and `InterpreterBooked`)."""
    interpreter = None if body.interpreter is None else Interpreter(body.interpreter.language,
                                                                    body.interpreter.relative)
    cmd = commands.BookInterview(**_base(assessment_id, caller, correlation_id), scheduled_at=body.scheduled_at,
                                 place=body.place, language=body.language, interpreter=interpreter,
                                 interpreter_mode=body.interpreter.mode if body.interpreter else None,
                                 cancellation_instructions_given=body.cancellation_instructions_given)
    return answer(await handlers.book_interview(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/interview/held", response_model=Done)
async def interview_held(assessment_id: UUID, body: InterviewHeldBody, caller: Officer, deps: Deps,
                         correlation_id: CorrelationHeader = None) -> Done:
    """The initial interview took place: `AssessmentStarted`, and `ClientInformed` for the R28 topics told."""
    cmd = commands.HoldInterview(**_base(assessment_id, caller, correlation_id), held_on=body.held_on,
                                 topics=frozenset(body.information_given))
    return answer(await handlers.hold_interview(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/information", response_model=Done)
async def information(assessment_id: UUID, body: InformationBody, caller: Officer, deps: Deps,
                      correlation_id: CorrelationHeader = None) -> Done:
    """R28 topics told after the interview."""
    cmd = commands.Inform(**_base(assessment_id, caller, correlation_id), on=body.on, topics=frozenset(body.topics))
    return answer(await handlers.inform(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/missed-appointments", response_model=Done)
async def missed(assessment_id: UUID, body: MissedBody, caller: Officer, deps: Deps,
                 correlation_id: CorrelationHeader = None) -> Done:
    """A no-show or refusal: `NoShowRecorded` with R26's fee, and `RepeatedNoShowFlagged` when R24 applies."""
    cmd = commands.RecordMissed(**_base(assessment_id, caller, correlation_id), missed_on=body.missed_on,
                                kind=body.kind, justified=body.justified, age=body.age,
                                interpretation_cost_cents=body.interpretation_cost_cents)
    return answer(await handlers.record_missed(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/luvn-confirmation", response_model=Done)
async def luvn_confirmation(assessment_id: UUID, body: LuvnBody, caller: Officer, deps: Deps,
                            correlation_id: CorrelationHeader = None) -> Done:
    """LUVN confirms its participation (R6); only LUVN, only where it is required."""
    cmd = commands.ConfirmLuvn(**_base(assessment_id, caller, correlation_id), on=body.confirmed_on)
    return answer(await handlers.confirm_luvn(cmd, deps.handler_deps))


@router.put("/cases/{assessment_id}/competence", response_model=Done)
async def competence(assessment_id: UUID, body: CompetenceBody, caller: Officer, deps: Deps,
                     correlation_id: CorrelationHeader = None) -> Done:
    """The competence and service needs (kept in assessment's database, not published)."""
    value = Competence(body.education_level, tuple(body.work_experience_fields),
                       tuple(LanguageSkill(s.language, s.level) for s in body.language_skills),
                       body.native_language_literacy, body.work_ability)
    cmd = commands.RecordCompetence(**_base(assessment_id, caller, correlation_id), competence=value,
                                    service_needs=tuple(body.service_needs))
    return answer(await handlers.record_competence(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/completion", response_model=Done)
async def completion(assessment_id: UUID, body: CompletionBody, caller: Officer, deps: Deps,
                     correlation_id: CorrelationHeader = None) -> Done:
    """Complete the assessment: refused without R28's information or LUVN's confirmation (R6); publishes
    `AssessmentCompleted` with R4's `plan_needed`."""
    cmd = commands.Complete(**_base(assessment_id, caller, correlation_id), on=body.completed_on)
    return answer(await handlers.complete(cmd, deps.handler_deps))


@router.post("/cases/{assessment_id}/reopening", response_model=Done)
async def reopening(assessment_id: UUID, body: ReopenBody, caller: Officer, deps: Deps,
                    correlation_id: CorrelationHeader = None) -> Done:
    cmd = commands.Reopen(**_base(assessment_id, caller, correlation_id), on=body.reopened_on, reason=body.reason)
    return answer(await handlers.reopen(cmd, deps.handler_deps))





@router.post("/cases/{assessment_id}/notes", response_model=Done, status_code=201)
async def add_note(assessment_id: UUID, body: NoteBody, caller: Officer, deps: Deps,
                   correlation_id: CorrelationHeader = None) -> Done:
    """A free-text note (the responsible organisation, or LUVN where it takes part); encrypted per client."""
    cmd = commands.AddNote(**_base(assessment_id, caller, correlation_id), text=body.text)
    return answer(await handlers.add_note(cmd, deps.handler_deps))


@router.get("/cases/{assessment_id}/notes", response_model=list[NoteOut])
async def notes(assessment_id: UUID, caller: Officer, deps: Deps) -> list[NoteOut]:
    """The case's notes, for officers who may see the case."""
    return [NoteOut(**n) for n in await views.case_notes(deps.uow(), assessment_id, caller.principal)]
