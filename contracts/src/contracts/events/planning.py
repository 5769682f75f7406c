"""Events of planning: integration plans (§16), their content (R19), the client's agreement (R23) or
refusal (R25), reviews (R13), interruptions (R16), extensions (R14-R17), referral deadlines (R12),
handover between organisations (R5), plans made before 2025 (R18) and their end.

Codes, dates and pseudonymous ids only: the plan's free-text parts stay in planning's database,
encrypted per client.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.events.base import Event, check_rule, with_default_rule
from contracts.vocabulary import EXTENSION_RULES, Code, ExtensionReason, LanguageCode, Organisation, RuleId, Service

LAW_OF_2025 = date(2025, 1, 1)
"""The amended Act's start: plans made before it keep the old 3 + 2-year maximum until their first review (R18)."""


class PlanningEvent(Event):
    """An event published by planning."""

    PRODUCER: ClassVar[Service] = Service.PLANNING


class PlanGoal(StrEnum):
    """A goal a plan records (R19)."""

    EMPLOYMENT = "employment"
    ENTREPRENEURSHIP = "entrepreneurship"
    WORKING_LIFE_READINESS = "working_life_readiness"
    UPPER_SECONDARY_EDUCATION = "upper_secondary_education"
    BASIC_EDUCATION = "basic_education"
    LANGUAGE_SKILLS = "language_skills"
    LITERACY = "literacy"


class FollowUp(StrEnum):
    """How the plan's progress is followed up (R19)."""

    REVIEW_MEETINGS = "review_meetings"
    PROVIDER_REPORTS = "provider_reports"
    CLIENT_REPORTS = "client_reports"
    LUVN_COORDINATION = "luvn_coordination"


class PlanPolicy(StrEnum):
    """A programme practice applied inside the law's limits; decisions name it beside the rule."""

    QUOTA_REFUGEE_THIRD_YEAR = "quota_refugee_third_year"
    """Quota refugees' plans run 3 years: the third year is an R15 extension granted by default."""


Goals = tuple[PlanGoal, ...]
ServiceCodes = tuple[Code, ...]


class PlanOpened(PlanningEvent):
    """A completed assessment showed a plan is needed (R4): a plan is to be drawn up without delay.

    `due_on` is the programme's target (R10, a number of working days); `latest_on` the law's last day,
    three years after the first permit (R11), or None for trafficking victims, who have no limit (R3).
    """

    TYPE: ClassVar[str] = "PlanOpened"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    assessment_id: UUID
    opened_on: date
    due_on: date
    latest_on: date | None
    responsible_organisation: Organisation
    luvn_participation: bool
    rule: Literal["R10"] = "R10"


class PlanAgreementRecorded(PlanningEvent):
    """The client agreed to the plan, in `language`, with or without an interpreter (R23, R27).

    Always published before the `PlanIssued` it allows.
    """

    TYPE: ClassVar[str] = "PlanAgreementRecorded"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    agreed_on: date
    language: LanguageCode
    interpreter: bool
    rule: Literal["R23"] = "R23"


class PlanRefusalRecorded(PlanningEvent):
    """The client refused the plan or an agreed measure. Without a good reason, the social assistance
    basic amount may be cut by up to 20 % (R25): planning only flags it, the social services decide."""

    TYPE: ClassVar[str] = "PlanRefusalRecorded"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    refused_on: date
    good_reason: bool
    social_assistance_cut_possible: bool
    rule: Literal["R25"] = "R25"

    @model_validator(mode="after")
    def check_flag_follows_reason(self) -> Self:
        if self.social_assistance_cut_possible == self.good_reason:
            raise ValueError("social_assistance_cut_possible is true exactly when there is no good_reason")
        return self


class PlanIssued(PlanningEvent):
    """An integration plan was drawn up; the person is now an integration client (R4, R14, R19).

    `first_starts_on` is the start of the client's first plan, from which the maximum counts (R14);
    `maximum_on` is the last day the law allows now, by `maximum_rule` (and `policy` where a programme
    practice set it). Planning sets every field; the defaults (empty, None) read as "not recorded", as in
    plans upcast from v1.
    """

    TYPE: ClassVar[str] = "PlanIssued"
    VERSION: ClassVar[int] = 2

    plan_id: UUID
    starts_on: date
    ends_on: date
    responsible_organisation: Organisation
    goals: Goals = Field(min_length=1)
    luvn_participation: bool
    services: ServiceCodes = ()
    job_search_obligation: bool = False
    follow_up: tuple[FollowUp, ...] = ()
    reasons: tuple[Code, ...] = ()
    """Why the services fit the goals, as codes (R19)."""
    agreed_on: date | None = None
    language: LanguageCode | None = None
    interpreter: bool | None = None
    first_starts_on: date | None = None
    """None: not recorded (read as `starts_on`)."""
    maximum_on: date | None = None
    maximum_rule: RuleId | None = None
    policy: PlanPolicy | None = None
    review_due_on: date | None = None
    referrals_due_on: date | None = None

    @model_validator(mode="after")
    def check_dates(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if self.first_starts_on is not None and self.first_starts_on > self.starts_on:
            raise ValueError("first_starts_on must not be after starts_on")
        if self.maximum_on is not None and self.ends_on > self.maximum_on:
            raise ValueError("ends_on must not be after maximum_on")
        return self


class PlanImported(PlanningEvent):
    """A plan made before 1.1.2025 was brought in from an earlier system; it keeps the old 3 + 2-year
    maximum until its first review (R18). `reviewed` says whether that review already took place."""

    TYPE: ClassVar[str] = "PlanImported"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    made_on: date
    first_starts_on: date
    starts_on: date
    ends_on: date
    responsible_organisation: Organisation
    goals: Goals = Field(min_length=1)
    services: ServiceCodes
    job_search_obligation: bool
    luvn_participation: bool
    reviewed: bool
    maximum_on: date
    maximum_rule: RuleId
    review_due_on: date
    rule: Literal["R18"] = "R18"

    @model_validator(mode="after")
    def check_dates(self) -> Self:
        if self.made_on >= LAW_OF_2025:
            raise ValueError("made_on must be before 2025-01-01: later plans are issued, not imported")
        if not self.first_starts_on <= self.starts_on <= self.ends_on <= self.maximum_on:
            raise ValueError("first_starts_on <= starts_on <= ends_on <= maximum_on must hold")
        return self


class PlanExtended(PlanningEvent):
    """A plan now runs `until` a later date: a further period inside the R14 maximum, or past it on one of
    the grounds of R15-R17; `rule` follows `reason`, and `policy` names a programme practice that granted
    it. An R16 extension names the recorded interruption it makes up for (planning always sets it; v1 did
    not). `previous_until` and `maximum_on` are None only in events upcast from v1."""

    TYPE: ClassVar[str] = "PlanExtended"
    VERSION: ClassVar[int] = 2

    plan_id: UUID
    until: date
    reason: ExtensionReason
    rule: RuleId
    previous_until: date | None
    maximum_on: date | None
    policy: PlanPolicy | None = None
    interruption_id: UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def default_rule(cls, data: Any) -> Any:
        return with_default_rule(data, "reason", EXTENSION_RULES)

    @model_validator(mode="after")
    def check_rule_matches_reason(self) -> Self:
        check_rule(self.rule, EXTENSION_RULES[self.reason], "reason")
        if self.previous_until is not None and self.until <= self.previous_until:
            raise ValueError("until must be after previous_until")
        if self.interruption_id is not None and self.reason != ExtensionReason.UNABLE_TO_CARRY_OUT:
            raise ValueError("interruption_id is given for an R16 extension only")
        return self


class ReviewOccasion(StrEnum):
    """Why a plan was reviewed (R13)."""

    SCHEDULED = "scheduled"
    CLIENT_REQUEST = "client_request"
    SITUATION_CHANGED = "situation_changed"


class PlanReviewed(PlanningEvent):
    """The plan was reviewed with the client (R13, R23); the next review is due by `next_review_due_on`.

    A first review of a plan made before 2025 ends its old 3 + 2-year maximum (R18): `maximum_on` and
    `maximum_rule` say what the law allows after this review.
    """

    TYPE: ClassVar[str] = "PlanReviewed"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    reviewed_on: date
    occasion: ReviewOccasion
    next_review_due_on: date
    maximum_on: date
    maximum_rule: RuleId
    rule: Literal["R13"] = "R13"


class InterruptionCause(StrEnum):
    """Why a plan could not be carried out for a while (R16)."""

    ILLNESS = "illness"
    DISABILITY = "disability"
    PREGNANCY_OR_PARENTAL_ALLOWANCE = "pregnancy_or_parental_allowance"
    COMPARABLE = "comparable"


class PlanInterruptionRecorded(PlanningEvent):
    """The plan could not be carried out from `from_on` to `to_on` (both included): it may be extended by
    as many days (R16)."""

    TYPE: ClassVar[str] = "PlanInterruptionRecorded"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    interruption_id: UUID
    cause: InterruptionCause
    from_on: date
    to_on: date
    rule: Literal["R16"] = "R16"

    @model_validator(mode="after")
    def check_dates(self) -> Self:
        if self.to_on < self.from_on:
            raise ValueError("to_on must not be before from_on")
        return self


class PlanDeadline(StrEnum):
    """A deadline planning watches."""

    DRAWING_UP = "drawing_up"
    DRAWING_UP_LATEST = "drawing_up_latest"
    REFERRAL = "referral"
    REVIEW = "review"


PLAN_DEADLINE_RULES: dict[PlanDeadline, str] = {
    PlanDeadline.DRAWING_UP: "R10",
    PlanDeadline.DRAWING_UP_LATEST: "R11",
    PlanDeadline.REFERRAL: "R12",
    PlanDeadline.REVIEW: "R13",
}
"""The rule that sets each deadline."""


class PlanDeadlineMissed(PlanningEvent):
    """A plan's deadline passed without the step it requires. For R12, one event per service of the plan
    not referred within a month of drawing up the plan (`service_code`)."""

    TYPE: ClassVar[str] = "PlanDeadlineMissed"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    deadline: PlanDeadline
    due_on: date
    service_code: Code | None = None
    rule: RuleId

    @model_validator(mode="before")
    @classmethod
    def default_rule(cls, data: Any) -> Any:
        return with_default_rule(data, "deadline", PLAN_DEADLINE_RULES)

    @model_validator(mode="after")
    def check_rule_matches_deadline(self) -> Self:
        check_rule(self.rule, PLAN_DEADLINE_RULES[self.deadline], "deadline")
        if (self.service_code is not None) != (self.deadline == PlanDeadline.REFERRAL):
            raise ValueError("service_code is given for a referral deadline and only then")
        return self


class PlanHandedOver(PlanningEvent):
    """Responsibility for the client moved (R5): the plan stays valid and passes to the new organisation,
    which alone may change it from `effective_on`."""

    TYPE: ClassVar[str] = "PlanHandedOver"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    previous_organisation: Organisation
    responsible_organisation: Organisation
    effective_on: date
    rule: Literal["R5"] = "R5"


class PlanEndReason(StrEnum):
    """Why a plan ended."""

    EMPLOYMENT = "employment"
    EDUCATION = "education"
    MOVED_AWAY = "moved_away"
    MAXIMUM_DURATION_REACHED = "maximum_duration_reached"
    NO_LONGER_NEEDED = "no_longer_needed"
    REFUSED = "refused"
    PERIOD_ENDED = "period_ended"
    GOALS_REACHED = "goals_reached"
    CLIENT_DECLINED = "client_declined"
    REPLACED_BY_NEW_PLAN = "replaced_by_new_plan"


class PlanEnded(PlanningEvent):
    """A plan stopped being in force."""

    TYPE: ClassVar[str] = "PlanEnded"
    VERSION: ClassVar[int] = 2

    plan_id: UUID
    ended_on: date
    reason: PlanEndReason


EVENTS: tuple[type[Event], ...] = (
    PlanOpened,
    PlanAgreementRecorded,
    PlanRefusalRecorded,
    PlanIssued,
    PlanImported,
    PlanExtended,
    PlanReviewed,
    PlanInterruptionRecorded,
    PlanDeadlineMissed,
    PlanHandedOver,
    PlanEnded,
)
