"""Queries: the worklist, a case and its events. Reads only; who may see what is checked here too."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.domain.case import AssessmentCase
from assessment.domain.errors import NotFound, Refused
from assessment.domain.rules import missing_information


async def worklist(uow: PostgresUnitOfWork, organisation: str | None, *, status: str | None,
                   due_before: date | None, place: str | None, limit: int,
                   after: tuple[date, UUID] | None) -> list[dict]:
    async with uow:
        rows = await uow.cases.worklist(organisation, status=status, due_before=due_before, place=place, limit=limit,
                                        after=after)
    return [dict(r) for r in rows]


async def visible_case(uow: PostgresUnitOfWork, assessment_id: UUID, principal: str, *, operator: bool
                       ) -> AssessmentCase:
    """The case, for operators, the organisation responsible today and, where it takes part, LUVN (R6)."""
    case = await uow.cases.get(assessment_id)
    if case is None:
        raise NotFound("case")
    client = await uow.client(case.client_id)
    if case.status == "closed" or client is None or not client.active:
        raise NotFound("case")
    if operator or client.may_act(principal) or (principal == "luvn" and case.luvn_required):
        return case
    raise Refused("ownership.case", "only the organisation responsible for the client today, LUVN where it "
                                    "takes part, and operators see the case")


async def case_detail(uow: PostgresUnitOfWork, assessment_id: UUID, principal: str, *, operator: bool) -> dict:
    async with uow:
        case = await visible_case(uow, assessment_id, principal, operator=operator)
        client = await uow.client(case.client_id)
    return {**detail_of(case), "client_languages": list(client.languages) if client else []}


async def case_of_client(uow: PostgresUnitOfWork, client_id: UUID) -> UUID:
    async with uow:
        case = await uow.cases.for_client(client_id)
    if case is None:
        raise NotFound("case")
    return case.assessment_id


async def case_events(uow: PostgresUnitOfWork, assessment_id: UUID, principal: str, *, operator: bool) -> list[dict]:
    async with uow:
        await visible_case(uow, assessment_id, principal, operator=operator)
        stored = await uow.cases.events(assessment_id)
    return [{"version": s.version, "event_id": s.envelope.event_id, "type": s.envelope.type,
             "schema_version": s.envelope.schema_version, "recorded_at": s.envelope.recorded_at,
             "organisation": s.envelope.organisation} for s in stored]


def detail_of(case: AssessmentCase) -> dict:
    interview = case.interview
    competence = None
    if case.competence is not None:
        c = case.competence
        competence = {"education_level": c.education_level, "work_experience_fields": list(c.work_experience_fields),
                      "language_skills": [{"language": s.language, "level": s.level} for s in c.language_skills],
                      "native_language_literacy": c.native_language_literacy, "work_ability": c.work_ability,
                      "service_needs": list(case.service_needs)}
    return {
        "assessment_id": case.assessment_id, "client_id": case.client_id, "status": case.status,
        "due_on": case.due_on, "due_rule": case.due_rule, "place": interview.place if interview else None,
        "responsible_organisation": case.responsible_organisation, "luvn_required": case.luvn_required,
        "opened_on": case.opened_on, "registered_jobseeker": case.registered_jobseeker,
        "interview": None if interview is None else vars(interview), "started_on": case.started_on,
        "information_given": sorted(case.information_given),
        "information_missing": sorted(missing_information(case.information_given)),
        "luvn_confirmed_on": case.luvn_confirmed_on, "missed": [vars(m) for m in case.missed],
        "competence": competence, "completed_on": case.completed_on, "plan_needed": case.plan_needed,
        "deadlines_missed": sorted(d for _, d in case.deadlines_missed),
    }


async def case_notes(uow: PostgresUnitOfWork, assessment_id: UUID, principal: str) -> list[dict]:
    async with uow:
        case = await visible_case(uow, assessment_id, principal, operator=False)
        return await uow.notes.of_case(case.assessment_id, case.client_id)
