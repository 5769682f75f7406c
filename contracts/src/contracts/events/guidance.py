"""Events of guidance: the service catalogue, referrals to its services with their whole lifecycle
(R12, R20-R23), and the guidance and counselling log (R1, R27)."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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


class LanguageLevel(StrEnum):
    """A level of the Finnish language-test scale (CEFR sub-levels); integration training aims at B1.1 (R22)."""

    BELOW_A1 = "below_a1"
    A1_1 = "a1.1"
    A1_2 = "a1.2"
    A1_3 = "a1.3"
    A2_1 = "a2.1"
    A2_2 = "a2.2"
    B1_1 = "b1.1"
    B1_2 = "b1.2"
    B2_1 = "b2.1"
    B2_2 = "b2.2"
    C1_1 = "c1.1"
    C1_2 = "c1.2"
    C2 = "c2"


class ReferralCompleted(GuidanceEvent):
    """The referred service is over for the person, with its outcome.

    v2: `language_level`, the final language test's level, which integration training must record
    when completed (R22); None for other services and for v1 events.
    """

    TYPE: ClassVar[str] = "ReferralCompleted"
    VERSION: ClassVar[int] = 2

    referral_id: UUID
    completed_on: date
    outcome: ReferralOutcome
    language_level: LanguageLevel | None = None


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


class VisitFacts(GuidanceEvent):
    """What every guidance visit records: when, how, where, about what, in which language, interpreted or not."""

    visit_id: UUID
    visited_on: date
    mode: Literal["drop_in", "appointment", "phone", "remote"]
    place: Literal["karis", "ekenas", "hango", "inga"] | None = None
    topics: tuple[CounsellingTopic, ...] = Field(min_length=1)
    language: LanguageCode
    interpreter: bool


class CounsellingVisitRecorded(VisitFacts):
    """A guidance and counselling visit took place; open to every immigrant (R1)."""

    TYPE: ClassVar[str] = "CounsellingVisitRecorded"
    VERSION: ClassVar[int] = 1


# --- The referral lifecycle after ReferralMade: waitlisted, started, rejected, cancelled, overdue -------------

class ReferralWaitlisted(GuidanceEvent):
    """The start the provider would take the person to is full: the person queues for it, in order.

    `starts_on` is the start asked for (None: continuous admission); `queue_position` counts from 1;
    `expected_start` is the first start with a free place the queue reaches, when known.
    """

    TYPE: ClassVar[str] = "ReferralWaitlisted"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    waitlisted_on: date
    starts_on: date | None = None
    queue_position: int = Field(ge=1)
    expected_start: date | None = None


class ReferralQueueMoved(GuidanceEvent):
    """A waitlisted person's place in the queue moved up (someone ahead was accepted, left or was cancelled)."""

    TYPE: ClassVar[str] = "ReferralQueueMoved"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    moved_on: date
    queue_position: int = Field(ge=1)
    expected_start: date | None = None


class ReferralStarted(GuidanceEvent):
    """The person started the referred service (the provider confirms it)."""

    TYPE: ClassVar[str] = "ReferralStarted"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    started_on: date


class RejectionReason(StrEnum):
    """Why a provider turned a referral down."""

    NOT_ELIGIBLE = "not_eligible"
    LEVEL_NOT_SUITABLE = "level_not_suitable"
    LANGUAGE_NOT_OFFERED = "language_not_offered"
    SERVICE_DISCONTINUED = "service_discontinued"
    OTHER = "other"


class ReferralRejected(GuidanceEvent):
    """The provider turned the referral down; the referral is over."""

    TYPE: ClassVar[str] = "ReferralRejected"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    rejected_on: date
    reason: RejectionReason


class CancellationReason(StrEnum):
    """Why a referral was cancelled before it ended."""

    CLIENT_WITHDREW = "client_withdrew"
    CLIENT_DID_NOT_ATTEND = "client_did_not_attend"
    PLAN_ENDED = "plan_ended"
    CLIENT_MOVED = "client_moved"
    REFERRAL_ERROR = "referral_error"
    CLIENT_ERASED = "client_erased"
    OTHER = "other"


class ReferralCancelled(GuidanceEvent):
    """The referral was cancelled by the referring organisation, the provider or the system."""

    TYPE: ClassVar[str] = "ReferralCancelled"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    cancelled_on: date
    reason: CancellationReason
    cancelled_by: Literal["officer", "provider", "system"]


class ReferralOverdue(GuidanceEvent):
    """A referral is stuck: the provider has not answered (`no_answer`), or the start date passed without
    the person starting (`not_started`, R23: the client attends the agreed services)."""

    TYPE: ClassVar[str] = "ReferralOverdue"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    kind: Literal["no_answer", "not_started"]
    due_on: date


class PlanReferralOverdue(GuidanceEvent):
    """No referral was made under a plan within one month of drawing it up (R12, §20(5))."""

    TYPE: ClassVar[str] = "PlanReferralOverdue"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    drawn_up_on: date
    due_on: date
    rule: Literal["R12"] = "R12"


class VoluntaryStudiesAgreed(GuidanceEvent):
    """The employment region agreed that a registered jobseeker may start voluntary studies (programme §4.5)."""

    TYPE: ClassVar[str] = "VoluntaryStudiesAgreed"
    VERSION: ClassVar[int] = 1

    service_code: Code
    agreed_on: date


# --- The guidance log: visits by people who are not clients, counted without a person (R1) ----------------

ANONYMOUS_VISITS_STREAM_ID = uuid5(NAMESPACE_URL, "urn:backbone:guidance:anonymous-visits")
"""The envelope `client_id` (and Kafka key) of `AnonymousVisitRecorded`: no person is named."""


class AnonymousVisitRecorded(VisitFacts):
    """A guidance visit by someone who is not a client (R1): counted, with no person at all."""

    TYPE: ClassVar[str] = "AnonymousVisitRecorded"
    VERSION: ClassVar[int] = 1

    visitors: int = Field(1, ge=1, le=50)


# --- The service catalogue: data, versioned; every change an event ------------------------------------------

CATALOGUE_STREAM_ID = uuid5(NAMESPACE_URL, "urn:backbone:guidance:catalogue")
"""The envelope `client_id` (and Kafka key) of catalogue events: they concern no client."""

ProviderCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,40}$")]
"""A provider (course organiser) code; it is also the provider's API principal, `provider:<code>`."""


class ServiceKind(StrEnum):
    """What a catalogue service is (programme §4.4-4.7, R20)."""

    CIVIC_ORIENTATION = "civic_orientation"
    INTEGRATION_TRAINING = "integration_training"
    VOLUNTARY_STUDIES = "voluntary_studies"
    LITERACY = "literacy"
    BASIC_EDUCATION = "basic_education"
    LANGUAGE_COURSE = "language_course"
    TOISTO_GROUP = "toisto_group"
    SHORT_COURSE = "short_course"
    LANGUAGE_CAFE = "language_cafe"


class Place(StrEnum):
    """Where a service runs."""

    KARIS = "karis"
    EKENAS = "ekenas"
    HANGO = "hango"
    INGA = "inga"
    POJO = "pojo"
    LOHJA = "lohja"
    KIRKKONUMMI = "kirkkonummi"
    ONLINE = "online"


class Pace(StrEnum):
    NORMAL = "normal"
    SLOW = "slow"


class Audience(StrEnum):
    """Whom a service is for: everyone (R1), registered jobseekers, people outside the labour market, or
    integration clients with a plan in force."""

    EVERYONE = "everyone"
    JOBSEEKERS = "jobseekers"
    OUTSIDE_LABOUR_MARKET = "outside_labour_market"
    PLAN_CLIENTS = "plan_clients"


class CourseStart(BaseModel):
    """One start of a course: its day, pace and places."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_on: date
    pace: Pace = Pace.NORMAL
    capacity: int = Field(ge=1, le=1000)


class CatalogueServiceVersion(GuidanceEvent):
    """A complete version of one catalogue service: what `CatalogueServicePublished` and
    `CatalogueServiceChanged` carry. `area` is the procurement area (Lohja's starts are listed to warn
    of clashes); `hours` the teaching hours (civic orientation: at least 70, R21)."""

    service_code: Code
    catalogue_version: int = Field(ge=1)
    kind: ServiceKind
    provider_code: ProviderCode
    places: tuple[Place, ...] = Field(min_length=1)
    languages: tuple[LanguageCode, ...] = Field(min_length=1)
    paces: tuple[Pace, ...] = Field(min_length=1)
    audiences: tuple[Audience, ...] = Field(min_length=1)
    continuous_admission: bool
    capacity: int | None = Field(None, ge=1, le=1000)
    starts: tuple[CourseStart, ...] = ()
    hours: int | None = Field(None, ge=1, le=5000)
    target_level: LanguageLevel | None = None
    available_from: date | None = None
    available_until: date | None = None
    area: Literal["raseborg", "lohja", "kirkkonummi"] = "raseborg"

    @model_validator(mode="after")
    def check_admission(self) -> Self:
        if self.continuous_admission and self.starts:
            raise ValueError("starts: a service with continuous admission has no fixed starts")
        if not self.continuous_admission and not self.starts:
            raise ValueError("starts: name at least one start, or set continuous_admission")
        return self


class CatalogueServicePublished(CatalogueServiceVersion):
    """A new service entered the catalogue (its version 1)."""

    TYPE: ClassVar[str] = "CatalogueServicePublished"
    VERSION: ClassVar[int] = 1


class CatalogueServiceChanged(CatalogueServiceVersion):
    """A service of the catalogue changed: the payload is its whole new version."""

    TYPE: ClassVar[str] = "CatalogueServiceChanged"
    VERSION: ClassVar[int] = 1


class CatalogueServiceWithdrawn(GuidanceEvent):
    """A service left the catalogue; referrals already made to it run their course."""

    TYPE: ClassVar[str] = "CatalogueServiceWithdrawn"
    VERSION: ClassVar[int] = 1

    service_code: Code
    catalogue_version: int = Field(ge=1)
    withdrawn_on: date


class OpeningSlot(BaseModel):
    """One weekly opening: weekday 1 (Monday) to 7, from `opens_at` to `closes_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: int = Field(ge=1, le=7)
    opens_at: time
    closes_at: time

    @model_validator(mode="after")
    def check_order(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class OpeningHoursSet(GuidanceEvent):
    """The weekly guidance hours of one place and kind (drop-in or by appointment), as a whole new version."""

    TYPE: ClassVar[str] = "OpeningHoursSet"
    VERSION: ClassVar[int] = 1

    place: Literal["karis", "ekenas", "hango", "inga"]
    kind: Literal["drop_in", "appointment"]
    catalogue_version: int = Field(ge=1)
    slots: tuple[OpeningSlot, ...] = ()


EVENTS: tuple[type[Event], ...] = (
    ReferralMade, ReferralAccepted, ReferralCompleted, CounsellingVisitRecorded,
    ReferralWaitlisted, ReferralQueueMoved, ReferralStarted, ReferralRejected, ReferralCancelled, ReferralOverdue,
    PlanReferralOverdue, VoluntaryStudiesAgreed, AnonymousVisitRecorded,
    CatalogueServicePublished, CatalogueServiceChanged, CatalogueServiceWithdrawn, OpeningHoursSet,
)
