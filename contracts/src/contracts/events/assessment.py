"""Events of assessment: the assessment of competence and service needs (§14) and its deadlines."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from contracts.events.base import Event, check_rule, with_default_rule
from contracts.vocabulary import LanguageCode, Organisation, RuleId, Service


class AssessmentEvent(Event):
    """An event published by assessment."""

    PRODUCER: ClassVar[Service] = Service.ASSESSMENT


class AssessmentStarted(AssessmentEvent):
    """An officer started the assessment, in `language`, with or without an interpreter (R8, R27)."""

    TYPE: ClassVar[str] = "AssessmentStarted"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    started_on: date
    responsible_organisation: Organisation
    luvn_participates: bool
    language: LanguageCode
    interpreter: bool


class ServiceNeed(StrEnum):
    """A service the assessment found the person needs (R20)."""

    CIVIC_ORIENTATION = "civic_orientation"
    INTEGRATION_TRAINING = "integration_training"
    LITERACY_TRAINING = "literacy_training"
    BASIC_EDUCATION = "basic_education"
    LANGUAGE_STUDIES = "language_studies"
    EMPLOYMENT_SERVICES = "employment_services"
    GUIDANCE_AND_COUNSELLING = "guidance_and_counselling"
    WELLBEING_SERVICES = "wellbeing_services"


class AssessmentCompleted(AssessmentEvent):
    """The assessment is done; `plan_needed` says whether a plan must follow (R4, R10)."""

    TYPE: ClassVar[str] = "AssessmentCompleted"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    completed_on: date
    plan_needed: bool
    luvn_participation_required: bool
    service_needs: tuple[ServiceNeed, ...]


class ServicePoint(StrEnum):
    """Where an initial interview takes place: a service point of the programme, or at a distance."""

    KARIS = "karis"
    EKENAS = "ekenas"
    HANKO = "hanko"
    INKOO = "inkoo"
    PHONE = "phone"
    REMOTE = "remote"


class InterpreterMode(StrEnum):
    """How a booked interpreter takes part (R27). A relative is never an interpreter."""

    ON_SITE = "on_site"
    PHONE = "phone"
    VIDEO = "video"


class InitialInterviewScheduled(AssessmentEvent):
    """An officer of `responsible_organisation` booked the client's initial interview (R8, R9, R26, R27).

    Everything notifications needs to invite the client: when (`scheduled_at`), where (`place`), in
    which `language`, whether an interpreter takes part and in which language (R27), and whether the
    client was given the cancellation instructions at booking (`cancellation_instructions_given`,
    R26: without them no no-show fee can be charged, so notifications sends them). `due_on` is the
    deadline the interview must meet, set by `due_rule` (R9 for registered jobseekers, R8 otherwise).
    `replaces_interview_id` names the earlier booking this one replaces (after a no-show or a
    re-booking). `assessment_id` and `place` are None only in bookings upcast from v1.
    """

    TYPE: ClassVar[str] = "InitialInterviewScheduled"
    VERSION: ClassVar[int] = 2

    interview_id: UUID
    assessment_id: UUID | None
    scheduled_at: AwareDatetime
    place: ServicePoint | None
    responsible_organisation: Organisation | None
    due_on: date
    due_rule: Literal["R8", "R9"] | None
    language: LanguageCode
    interpreter: bool
    interpreter_language: LanguageCode | None = None
    cancellation_instructions_given: bool
    replaces_interview_id: UUID | None = None

    @model_validator(mode="after")
    def check_interpreter_language(self) -> Self:
        if self.interpreter_language is not None and not self.interpreter:
            raise ValueError("interpreter_language needs interpreter")
        return self


class InterpreterBooked(AssessmentEvent):
    """An interpreter in `language` was booked for an interview (R27); never a relative of the client."""

    TYPE: ClassVar[str] = "InterpreterBooked"
    VERSION: ClassVar[int] = 1

    interview_id: UUID
    assessment_id: UUID
    language: LanguageCode
    mode: InterpreterMode
    rule: Literal["R27"] = "R27"


class AssessmentCaseOpened(AssessmentEvent):
    """Assessment learnt of a client to be assessed and opened their case at once (R8).

    `due_on` is the date the initial interview must be held by: the 5th working day after
    registration for a registered jobseeker (R9), the configurable R8 target otherwise.
    """

    TYPE: ClassVar[str] = "AssessmentCaseOpened"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    opened_on: date
    due_on: date
    due_rule: Literal["R8", "R9"]
    responsible_organisation: Organisation
    luvn_participation_required: bool


class InformationTopic(StrEnum):
    """What the client must be told at the initial interview (R28, 869/2024 §2(3))."""

    GOALS = "goals"
    PLAN_PROCESS = "plan_process"
    PLAN_BINDING = "plan_binding"
    RIGHTS_AND_DUTIES = "rights_and_duties"
    DATA_HANDLING = "data_handling"


class ClientInformed(AssessmentEvent):
    """The client was told `topics` at the initial interview on `informed_on` (R28)."""

    TYPE: ClassVar[str] = "ClientInformed"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    interview_id: UUID | None = None
    informed_on: date
    topics: tuple[InformationTopic, ...] = Field(min_length=1)
    rule: Literal["R28"] = "R28"


class MissedAppointmentKind(StrEnum):
    """A missed, uncancelled appointment, or a refusal to take part in the assessment (R24, R26)."""

    NO_SHOW = "no_show"
    REFUSAL = "refusal"


class NoShowRecorded(AssessmentEvent):
    """The client missed an uncancelled interview or refused the assessment on `missed_on`.

    `fee_cents` is the R26 no-show fee: the interpretation cost, at most 5670 cents, 0 for anyone
    under 18, for a justified absence, or when the client was not told how to cancel at booking.
    """

    TYPE: ClassVar[str] = "NoShowRecorded"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    interview_id: UUID | None = None
    kind: MissedAppointmentKind
    missed_on: date
    justified: bool
    fee_cents: int = Field(ge=0, le=5670)
    fee_rule: Literal["R26"] = "R26"


class RepeatedNoShowFlagged(AssessmentEvent):
    """A registered jobseeker's second unjustified no-show or refusal within 12 months (R24), for the
    employment region to decide on unemployment benefit."""

    TYPE: ClassVar[str] = "RepeatedNoShowFlagged"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    first_missed_on: date
    second_missed_on: date
    for_organisation: Literal["employment-region"] = "employment-region"
    rule: Literal["R24"] = "R24"


class LuvnParticipationConfirmed(AssessmentEvent):
    """The wellbeing services county (LUVN) confirmed it takes part in the assessment (R6)."""

    TYPE: ClassVar[str] = "LuvnParticipationConfirmed"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    confirmed_on: date
    rule: Literal["R6"] = "R6"


class ReopenReason(StrEnum):
    """Why a completed assessment was opened again."""

    CORRECTION = "correction"
    SITUATION_CHANGED = "situation_changed"
    CLIENT_REQUEST = "client_request"


class AssessmentReopened(AssessmentEvent):
    """A completed assessment was opened again; a new `AssessmentCompleted` follows when it is done."""

    TYPE: ClassVar[str] = "AssessmentReopened"
    VERSION: ClassVar[int] = 1

    assessment_id: UUID
    reopened_on: date
    reason: ReopenReason


class Deadline(StrEnum):
    """A deadline the process watches."""

    ASSESSMENT_START = "assessment_start"
    INITIAL_INTERVIEW = "initial_interview"
    PLAN_DRAWN_UP = "plan_drawn_up"
    REFERRAL = "referral"
    PLAN_REVIEW = "plan_review"


DEADLINE_RULES: dict[Deadline, str] = {
    Deadline.ASSESSMENT_START: "R8",
    Deadline.INITIAL_INTERVIEW: "R9",
    Deadline.PLAN_DRAWN_UP: "R11",
    Deadline.REFERRAL: "R12",
    Deadline.PLAN_REVIEW: "R13",
}
"""The rule that sets each deadline."""


class DeadlineMissed(AssessmentEvent):
    """A deadline passed without the step it requires; `subject_id` is the assessment, plan or referral."""

    TYPE: ClassVar[str] = "DeadlineMissed"
    VERSION: ClassVar[int] = 1

    deadline: Deadline
    due_on: date
    subject_id: UUID | None = None
    rule: RuleId

    @model_validator(mode="before")
    @classmethod
    def default_rule(cls, data: Any) -> Any:
        return with_default_rule(data, "deadline", DEADLINE_RULES)

    @model_validator(mode="after")
    def check_rule_matches_deadline(self) -> Self:
        check_rule(self.rule, DEADLINE_RULES[self.deadline], "deadline")
        return self


EVENTS: tuple[type[Event], ...] = (
    AssessmentStarted,
    AssessmentCompleted,
    InitialInterviewScheduled,
    DeadlineMissed,
    AssessmentCaseOpened,
    InterpreterBooked,
    ClientInformed,
    NoShowRecorded,
    RepeatedNoShowFlagged,
    LuvnParticipationConfirmed,
    AssessmentReopened,
)
