"""Events of assessment: the assessment of competence and service needs (§14) and its deadlines."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import AwareDatetime, model_validator

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


class InitialInterviewScheduled(AssessmentEvent):
    """A jobseeker's initial interview was booked; `due_on` is the R9 deadline it must meet."""

    TYPE: ClassVar[str] = "InitialInterviewScheduled"
    VERSION: ClassVar[int] = 1

    interview_id: UUID
    scheduled_at: AwareDatetime
    due_on: date
    language: LanguageCode
    interpreter: bool


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


EVENTS: tuple[type[Event], ...] = (AssessmentStarted, AssessmentCompleted, InitialInterviewScheduled, DeadlineMissed)
