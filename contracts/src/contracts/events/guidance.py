"""Events of guidance: referrals to services (R12, R20) and counselling visits (R1)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.events.base import Event
from contracts.vocabulary import Code, LanguageCode, Service


class GuidanceEvent(Event):
    """An event published by guidance."""

    PRODUCER: ClassVar[Service] = Service.GUIDANCE


class ReferralMade(GuidanceEvent):
    """The person was referred to a service of guidance's catalogue, under a plan or without one.

    `service_code` and `provider_code` are catalogue codes (e.g. "civic_orientation.ar",
    "mbi-raseborg"): providers are schools and associations, not organisations on the bus.
    """

    TYPE: ClassVar[str] = "ReferralMade"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    plan_id: UUID | None
    service_code: Code
    provider_code: Code
    referred_on: date
    language: LanguageCode


class ReferralAccepted(GuidanceEvent):
    """The provider accepted the referral; `starts_on` is the start when known."""

    TYPE: ClassVar[str] = "ReferralAccepted"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    accepted_on: date
    starts_on: date | None = None


class ReferralOutcome(StrEnum):
    """How a referred service ended for the person."""

    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not_started"


class ReferralCompleted(GuidanceEvent):
    """The referred service is over for the person, with its outcome."""

    TYPE: ClassVar[str] = "ReferralCompleted"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    completed_on: date
    outcome: ReferralOutcome


class CounsellingTopic(StrEnum):
    """What a counselling visit was about (programme §4.7)."""

    RESIDENCE_PERMIT = "residence_permit"
    COURSES = "courses"
    ASSOCIATIONS = "associations"
    HOUSING = "housing"
    DAY_CARE_AND_SCHOOL = "day_care_and_school"
    LEISURE = "leisure"
    AUTHORITY_APPOINTMENTS = "authority_appointments"
    FORMS_AND_DECISIONS = "forms_and_decisions"
    WORK_AND_EMPLOYMENT = "work_and_employment"
    OTHER = "other"


class CounsellingVisitRecorded(GuidanceEvent):
    """A guidance and counselling visit took place; open to every immigrant (R1)."""

    TYPE: ClassVar[str] = "CounsellingVisitRecorded"
    VERSION: ClassVar[int] = 1

    visit_id: UUID
    visited_on: date
    mode: Literal["drop_in", "appointment", "phone", "remote"]
    place: Literal["karis", "ekenas", "hango", "inga"] | None = None
    topics: tuple[CounsellingTopic, ...] = Field(min_length=1)
    language: LanguageCode
    interpreter: bool


EVENTS: tuple[type[Event], ...] = (ReferralMade, ReferralAccepted, ReferralCompleted, CounsellingVisitRecorded)
