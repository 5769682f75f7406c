"""The HTTP API's request and response bodies: codes, dates and ids, validated field by field."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from backbone.clock import Past
from contracts.events.assessment import (
    InformationTopic,
    InterpreterMode,
    MissedAppointmentKind,
    ReopenReason,
    ServiceNeed,
    ServicePoint,
)
from contracts.vocabulary import Code, LanguageCode
from assessment.domain.case import Cefr, EducationLevel, Literacy, Status, WorkAbility


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterpreterBody(Body):
    language: LanguageCode
    mode: InterpreterMode
    relative: bool = Field(False, description="Whether the interpreter is the client's relative (R27 refuses it).")


class BookingBody(Body):
    """Book (or re-book) the initial interview (R8, R9, R26, R27)."""

    scheduled_at: AwareDatetime
    place: ServicePoint
    language: LanguageCode = Field(description="The language the interview runs in.")
    interpreter: InterpreterBody | None = None
    cancellation_instructions_given: bool = Field(
        description="R26: whether the client was told at booking how to cancel; without it no fee can follow.")


class InterviewHeldBody(Body):
    held_on: Past
    information_given: list[InformationTopic] = Field(default_factory=list, description="R28 topics told.")


class InformationBody(Body):
    on: Past
    topics: list[InformationTopic] = Field(min_length=1)


class MissedBody(Body):
    """A missed, uncancelled interview (no_show) or a refusal to take part (R24, R26)."""

    missed_on: Past
    kind: MissedAppointmentKind
    justified: bool
    age: int = Field(ge=0, le=130, description="R26: the client's age in whole years (never a birth date).")
    interpretation_cost_cents: int = Field(0, ge=0, le=10_000_000, description="R26: what the interpreter cost.")


class LuvnBody(Body):
    confirmed_on: Past


class LanguageSkillBody(Body):
    language: LanguageCode
    level: Cefr


class CompetenceBody(Body):
    """§14's competence as codes, and the service needs found."""

    education_level: EducationLevel
    work_experience_fields: list[Code] = Field(default_factory=list, max_length=20)
    language_skills: list[LanguageSkillBody] = Field(default_factory=list, max_length=20)
    native_language_literacy: Literacy
    work_ability: WorkAbility
    service_needs: list[ServiceNeed] = Field(default_factory=list)


class CompletionBody(Body):
    completed_on: Past


class ReopenBody(Body):
    reopened_on: Past
    reason: ReopenReason


class Done(BaseModel):
    assessment_id: UUID
    client_id: UUID
    event_ids: list[UUID]
    correlation_id: UUID


class CaseSummary(BaseModel):
    assessment_id: UUID
    client_id: UUID
    status: Status
    due_on: date
    due_rule: str
    place: ServicePoint | None
    responsible_organisation: str
    luvn_required: bool


class InterviewOut(BaseModel):
    interview_id: UUID
    scheduled_at: AwareDatetime
    place: ServicePoint
    language: str
    interpreter_language: str | None
    interpreter_mode: InterpreterMode | None
    cancellation_instructions_given: bool


class MissedOut(BaseModel):
    missed_on: date
    kind: MissedAppointmentKind
    justified: bool
    fee_cents: int


class CaseDetail(CaseSummary):
    opened_on: date
    client_languages: list[str] = Field(description="The client's languages as intake last said (R27).")
    registered_jobseeker: bool
    interview: InterviewOut | None
    started_on: date | None
    information_given: list[InformationTopic]
    information_missing: list[InformationTopic]
    luvn_confirmed_on: date | None
    missed: list[MissedOut]
    competence: CompetenceBody | None
    completed_on: date | None
    plan_needed: bool | None
    deadlines_missed: list[date]


class StreamEntryOut(BaseModel):
    version: int
    event_id: UUID
    type: str
    schema_version: int
    recorded_at: AwareDatetime
    organisation: str


class NoteBody(Body):
    """Free text about the case: kept encrypted under the client's key, never published, erased with the client."""

    text: str = Field(min_length=1, max_length=4000)


class NoteOut(BaseModel):
    note_id: UUID
    organisation: str
    actor: str
    written_at: AwareDatetime
    text: str
