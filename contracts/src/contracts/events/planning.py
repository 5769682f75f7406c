"""Events of planning: integration plans (§16), their extensions (R15-R17) and their end."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.events.base import Event, check_rule, with_default_rule
from contracts.vocabulary import EXTENSION_RULES, ExtensionReason, Organisation, RuleId, Service


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


class PlanIssued(PlanningEvent):
    """An integration plan was drawn up; the person is now an integration client (R4, R14)."""

    TYPE: ClassVar[str] = "PlanIssued"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    starts_on: date
    ends_on: date
    responsible_organisation: Organisation
    goals: tuple[PlanGoal, ...] = Field(min_length=1)
    luvn_participation: bool

    @model_validator(mode="after")
    def check_ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class PlanExtended(PlanningEvent):
    """A plan now runs `until` a later date on one of the grounds of R15-R17; `rule` follows `reason`."""

    TYPE: ClassVar[str] = "PlanExtended"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    until: date
    reason: ExtensionReason
    rule: RuleId

    @model_validator(mode="before")
    @classmethod
    def default_rule(cls, data: Any) -> Any:
        return with_default_rule(data, "reason", EXTENSION_RULES)

    @model_validator(mode="after")
    def check_rule_matches_reason(self) -> Self:
        check_rule(self.rule, EXTENSION_RULES[self.reason], "reason")
        return self


class PlanEndReason(StrEnum):
    """Why a plan ended."""

    PERIOD_ENDED = "period_ended"
    MAXIMUM_DURATION_REACHED = "maximum_duration_reached"
    GOALS_REACHED = "goals_reached"
    MOVED_AWAY = "moved_away"
    CLIENT_DECLINED = "client_declined"
    REPLACED_BY_NEW_PLAN = "replaced_by_new_plan"


class PlanEnded(PlanningEvent):
    """A plan stopped being in force."""

    TYPE: ClassVar[str] = "PlanEnded"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    ended_on: date
    reason: PlanEndReason


EVENTS: tuple[type[Event], ...] = (PlanIssued, PlanExtended, PlanEnded)
