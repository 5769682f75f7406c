"""Planning's HTTP API: each organisation's worklist, plan detail, and the commands on a plan.

Every route needs a credential (`backbone.auth`); the caller's organisation is the credential's principal,
never a field. Only the plan's owner (the client's responsible organisation) changes a plan; operators
read everything; LUVN reads the plans it takes part in. A refused command answers 422 (403 for
ownership, 409 for the plan's state) naming the rule or field, never a value; nothing is half-applied.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backbone.auth import Caller, authenticated
from contracts.events.planning import FollowUp, InterruptionCause, PlanEndReason, PlanGoal, ReviewOccasion
from contracts.vocabulary import Code, ExtensionReason, LanguageCode, Organisation
from planning.domain.errors import NotFound, Refused
from planning.domain.plan import Agreement, Content
from planning.service_layer import handlers

Officer = Annotated[Caller, Depends(authenticated("officer", "system"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator"))]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; by default the plan's own.")]
Note = Annotated[str, StringConstraints(min_length=1, max_length=4000)]

router = APIRouter(tags=["plans"])


def deps_of(request: Request) -> handlers.Deps:
    return request.app.state.planning


Deps = Annotated[handlers.Deps, Depends(deps_of)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContentBody(Body):
    goals: tuple[PlanGoal, ...] = Field(min_length=1)
    services: tuple[Code, ...] = Field(description="Service codes of guidance's catalogue")
    job_search_obligation: bool = False
    follow_up: tuple[FollowUp, ...]
    reasons: tuple[Code, ...] = Field(description="Why the services fit the goals, as codes (R19)")

    def content(self) -> Content:
        return Content(self.goals, self.services, self.job_search_obligation, self.follow_up, self.reasons)


class AgreementBody(Body):
    agreed_on: date
    language: LanguageCode
    interpreter: bool


class IssueBody(ContentBody):
    starts_on: date
    ends_on: date
    agreement: AgreementBody | None = Field(None, description="R23: required; a plan is issued only once the "
                                                              "client agreed")
    client_under_25: bool = False
    quota_refugee: bool = False
    note: Note | None = Field(None, description="Free text, kept encrypted for the client in planning only")


class RefusalBody(Body):
    refused_on: date
    good_reason: bool
    note: Note | None = None


class ExtensionBody(Body):
    until: date
    reason: ExtensionReason
    client_under_25: bool = False
    interruption_id: UUID | None = None
    note: Note | None = None


class ReviewBody(Body):
    reviewed_on: date
    occasion: ReviewOccasion
    note: Note | None = None


class InterruptionBody(Body):
    interruption_id: UUID
    cause: InterruptionCause
    from_on: date
    to_on: date


class EndBody(Body):
    ended_on: date
    reason: PlanEndReason


class ImportBody(ContentBody):
    client_id: UUID
    made_on: date
    first_starts_on: date
    starts_on: date
    ends_on: date
    reviewed: bool
    last_review_on: date | None = None


class Done(BaseModel):
    plan_id: UUID
    client_id: UUID
    event_ids: list[UUID]
    correlation_id: UUID


class PlanSummary(BaseModel):
    plan_id: UUID
    client_id: UUID
    status: str
    owner: str
    opened_on: date | None
    due_on: date | None
    latest_on: date | None
    starts_on: date | None
    ends_on: date | None
    first_starts_on: date | None
    maximum_on: date | None
    maximum_rule: str | None
    review_due_on: date | None
    referrals_due_on: date | None
    luvn_participation: bool
    services: list[str]
    ended_on: date | None
    end_reason: str | None


class NoteOut(BaseModel):
    note_id: UUID
    event_id: UUID
    text: str
    written_by: str
    written_at: datetime


class EventOut(BaseModel):
    event_id: UUID
    type: str
    schema_version: int
    recorded_at: datetime
    organisation: str
    actor: str
    correlation_id: UUID
    causation_id: UUID | None
    payload: dict


class PlanDetail(PlanSummary):
    client_languages: list[str] = Field(description="The languages the client understands (R23: agree the plan in "
                                                    "one of them, or with an interpreter)")
    referrals: list[dict]
    events: list[EventOut]
    notes: list[NoteOut] | None = Field(description="Only for the plan's owner")


def organisation_of(caller: Caller) -> Organisation:
    try:
        return Organisation(caller.principal)
    except ValueError:
        raise HTTPException(403, {"rule": "ownership.plan", "msg": f"{caller.principal} is not an organisation"}) \
            from None


def context(caller: Caller, correlation_id: UUID | None) -> handlers.Context:
    return handlers.Context(organisation_of(caller), caller.actor, correlation_id)


def answer(outcome: handlers.Outcome) -> Done:
    return Done(plan_id=outcome.plan_id, client_id=outcome.client_id, event_ids=list(outcome.event_ids),
                correlation_id=outcome.correlation_id)


def may_read(caller: Caller, row) -> bool:
    return (caller.role == "operator" or caller.principal == row["owner"]
            or (caller.principal == Organisation.LUVN and row["luvn_participation"]))


@router.get("/plans", response_model=list[PlanSummary])
async def worklist(caller: Reader, deps: Deps,
                   view: Literal["to_draw_up", "reviews_due", "referrals_overdue", "in_force"] = "to_draw_up",
                   due_by: Annotated[date | None, Query(description="reviews_due: due on or before "
                                                                    "(default: in 30 days)")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   after: Annotated[UUID | None, Query(description="The last plan_id of the previous page")] = None,
                   ) -> list[PlanSummary]:
    """The caller's worklist (operators: everyone's): plans to draw up, reviews due, referrals overdue (or all
    plans in force)."""
    organisation = None if caller.role == "operator" else caller.principal
    today = deps.clock.today()
    async with deps.uow() as uow:
        rows = await uow.plans.worklist(organisation, view, today=today, due_by=due_by or today + timedelta(days=30),
                                        limit=limit, after=after)
    return [PlanSummary(**dict(r)) for r in rows]


@router.get("/plans/{plan_id}", response_model=PlanDetail)
async def plan_detail(plan_id: UUID, caller: Reader, deps: Deps) -> PlanDetail:
    """The plan, its referrals and its events; its notes for the owner only."""
    async with deps.uow() as uow:
        row = await uow.plans.row(plan_id)
        if row is None:
            raise NotFound("plan")
        if not may_read(caller, row):
            raise Refused("ownership.plan", "only the plan's owner, LUVN where it takes part, and operators see it")
        history = await uow.plans.history(plan_id)
        referrals = [dict(r) for r in await uow.plans.referrals(plan_id)]
        notes = await uow.notes.of_plan(plan_id, row["client_id"]) if caller.principal == row["owner"] else None
        client = await uow.client(row["client_id"])
    events = [EventOut(**{k: getattr(s.envelope, k) for k in EventOut.model_fields}) for s in history]
    return PlanDetail(**dict(row), client_languages=list(client.languages) if client else [], referrals=referrals,
                      events=events, notes=notes)


@router.get("/clients/{client_id}/plans", response_model=list[PlanSummary])
async def plans_of_client(client_id: UUID, caller: Reader, deps: Deps) -> list[PlanSummary]:
    async with deps.uow() as uow:
        rows = await uow.plans.of_client(client_id)
    return [PlanSummary(**dict(r)) for r in rows if may_read(caller, r)]


@router.post("/plans/{plan_id}/issue", response_model=Done, status_code=201)
async def issue(plan_id: UUID, body: IssueBody, caller: Officer, deps: Deps, correlation: CorrelationHeader = None
                ) -> Done:
    """Draw up the plan with the client's agreement (R23): R11, R14, R19 and the quota-refugee policy apply."""
    a = body.agreement
    return answer(await handlers.issue(
        plan_id, context(caller, correlation), deps, starts_on=body.starts_on, ends_on=body.ends_on,
        content=body.content(), agreement=a and Agreement(a.agreed_on, a.language, a.interpreter),
        under_25=body.client_under_25, quota_refugee=body.quota_refugee, note=body.note))


@router.post("/plans/{plan_id}/refusals", response_model=Done, status_code=201)
async def refuse(plan_id: UUID, body: RefusalBody, caller: Officer, deps: Deps, correlation: CorrelationHeader = None
                 ) -> Done:
    """R25: the client refused; without good reason, a possible social assistance cut is flagged."""
    return answer(await handlers.refuse(plan_id, context(caller, correlation), deps, refused_on=body.refused_on,
                                        good_reason=body.good_reason, note=body.note))


@router.post("/plans/{plan_id}/extensions", response_model=Done, status_code=201)
async def extend(plan_id: UUID, body: ExtensionBody, caller: Officer, deps: Deps,
                 correlation: CorrelationHeader = None) -> Done:
    """R14-R17: run the plan until a later day on a ground; refused with the rule that forbids it."""
    return answer(await handlers.extend(plan_id, context(caller, correlation), deps, until=body.until,
                                        reason=body.reason, under_25=body.client_under_25,
                                        interruption_id=body.interruption_id, note=body.note))


@router.post("/plans/{plan_id}/reviews", response_model=Done, status_code=201)
async def review(plan_id: UUID, body: ReviewBody, caller: Officer, deps: Deps, correlation: CorrelationHeader = None
                 ) -> Done:
    """R13: record a review; the next is due 6 months (a month count) later."""
    return answer(await handlers.review(plan_id, context(caller, correlation), deps, reviewed_on=body.reviewed_on,
                                        occasion=body.occasion, note=body.note))


@router.post("/plans/{plan_id}/interruptions", response_model=Done, status_code=201)
async def interruption(plan_id: UUID, body: InterruptionBody, caller: Officer, deps: Deps,
                       correlation: CorrelationHeader = None) -> Done:
    """R16: record when the plan could not be carried out."""
    return answer(await handlers.record_interruption(plan_id, context(caller, correlation), deps,
                                                     interruption_id=body.interruption_id, cause=body.cause,
                                                     from_on=body.from_on, to_on=body.to_on))


@router.post("/plans/{plan_id}/end", response_model=Done, status_code=201)
async def end(plan_id: UUID, body: EndBody, caller: Officer, deps: Deps, correlation: CorrelationHeader = None) -> Done:
    return answer(await handlers.end(plan_id, context(caller, correlation), deps, ended_on=body.ended_on,
                                     reason=body.reason))


@router.post("/plans/imports", response_model=Done, status_code=201)
async def import_plan(body: ImportBody, caller: Officer, deps: Deps, correlation: CorrelationHeader = None) -> Done:
    """R18: bring in a plan made before 1.1.2025, which keeps the old 3 + 2-year maximum until its first review."""
    return answer(await handlers.import_plan(
        body.client_id, context(caller, correlation), deps, made_on=body.made_on,
        first_starts_on=body.first_starts_on, starts_on=body.starts_on, ends_on=body.ends_on, content=body.content(),
        reviewed=body.reviewed, last_review_on=body.last_review_on))


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)


async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    """422s name the field and the problem but never echo the value."""
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    status = 403 if exc.rule.startswith("ownership.") else 409 if exc.rule.startswith("state.") else 422
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                        status_code=status)


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)
