"""Superseded versions of events, kept so that old messages stay readable, and their upcasters.

Each upcaster turns version N of an event into version N+1; the registry chains them up to the
latest. The latest versions live in their area's module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from contracts.events.assessment import InitialInterviewScheduled
from contracts.events.base import Event, with_default_rule
from contracts.events.guidance import GuidanceEvent, ReferralCompleted, ReferralOutcome
from contracts.events.intake import (
    ClientDetailsChanged,
    ClientRegistered,
    IntakeEvent,
    Languages,
    ResponsibilityAssigned,
    ResponsibilityReason,
    TargetGroups,
)
from contracts.events.planning import (
    Goals,
    PlanEnded,
    PlanEndReason,
    PlanExtended,
    PlanIssued,
    PlanningEvent,
)
from contracts.vocabulary import (
    EXTENSION_RULES,
    LUVN_GROUPS,
    ClientState,
    LanguageCode,
    Municipality,
    Organisation,
    RegistrationSource,
    RuleId,
    Service,
)

NOT_RECORDED = "not_recorded"
"""The reason code of facts an older version did not record."""


class ClientRegisteredV2(IntakeEvent):
    """v2: several languages, a state and LUVN participation; no reasons, no registration day."""

    TYPE: ClassVar[str] = "ClientRegistered"
    VERSION: ClassVar[int] = 2

    client_id: UUID
    home_municipality: Municipality
    languages: Languages = Field(min_length=1)
    target_groups: TargetGroups
    window_ends_on: date
    source: RegistrationSource
    responsible_organisation: Organisation
    luvn_participation_required: bool
    state: ClientState
    assessment_due_on: date | None


class ClientRegisteredV1(IntakeEvent):
    """A person became known to integration services (v1: a single language, no state)."""

    TYPE: ClassVar[str] = "ClientRegistered"
    VERSION: ClassVar[int] = 1

    client_id: UUID
    home_municipality: Municipality
    language: LanguageCode
    target_groups: TargetGroups
    window_ends_on: date
    source: RegistrationSource
    responsible_organisation: Organisation


def upcast_client_registered_v1(old: ClientRegisteredV1) -> ClientRegisteredV2:
    """Read a v1 registration as v2: one language becomes a list; state and LUVN follow the groups, as
    v1's producer (the walking skeleton) decided them: any target group meant "to be assessed".

    v1 producers set no assessment target, so `assessment_due_on` stays unknown (None).
    """
    return ClientRegisteredV2(
        client_id=old.client_id,
        home_municipality=old.home_municipality,
        languages=(old.language,),
        target_groups=old.target_groups,
        window_ends_on=old.window_ends_on,
        source=old.source,
        responsible_organisation=old.responsible_organisation,
        luvn_participation_required=not LUVN_GROUPS.isdisjoint(old.target_groups),
        state="to_be_assessed" if old.target_groups else "guidance_only",
        assessment_due_on=None,
    )


def upcast_client_registered_v2(old: ClientRegisteredV2) -> ClientRegistered:
    """Read a v2 registration as v3. v2 recorded no reasons and no registration day: the reasons say
    so (`not_recorded`, no rule), the jobseeker flag follows R5 (the employment region is responsible
    for registered jobseekers only), and the registration day is unknown (None)."""
    jobseeker = old.responsible_organisation == Organisation.EMPLOYMENT_REGION
    return ClientRegistered(
        **old.model_dump(), registered_on=None,
        responsibility_reason=ResponsibilityReason.REGISTERED_JOBSEEKER if jobseeker else NOT_RECORDED,
        registered_jobseeker=jobseeker, state_reason=NOT_RECORDED, state_rule=None)


class ClientDetailsChangedV1(IntakeEvent):
    """v1: without the jobseeker flag."""

    TYPE: ClassVar[str] = "ClientDetailsChanged"
    VERSION: ClassVar[int] = 1

    home_municipality: Municipality | None = None
    languages: Languages | None = Field(default=None, min_length=1)
    target_groups: TargetGroups | None = None
    window_ends_on: date | None = None


def upcast_client_details_changed_v1(old: ClientDetailsChangedV1) -> ClientDetailsChanged:
    return ClientDetailsChanged(**old.model_dump())


class ResponsibilityAssignedV1(IntakeEvent):
    """v1: no previous organisation, and coarser reasons."""

    TYPE: ClassVar[str] = "ResponsibilityAssigned"
    VERSION: ClassVar[int] = 1

    responsible_organisation: Organisation
    effective_on: date
    reason: Literal["registered_jobseeker", "outside_labour_market", "service_agreement", "no_service_agreement",
                    "jobseeker_status_changed"]


def upcast_responsibility_assigned_v1(old: ResponsibilityAssignedV1) -> ResponsibilityAssigned:
    """v1 did not say who handed over (None). Its reasons map onto v2's: outside the labour market or
    without an agreement, the municipality's own services; a status change points the way it went."""
    to_region = old.responsible_organisation == Organisation.EMPLOYMENT_REGION
    reason = {
        "registered_jobseeker": ResponsibilityReason.REGISTERED_JOBSEEKER,
        "outside_labour_market": ResponsibilityReason.OWN_MUNICIPAL_SERVICES,
        "service_agreement": ResponsibilityReason.SERVICE_AGREEMENT,
        "no_service_agreement": ResponsibilityReason.OWN_MUNICIPAL_SERVICES,
        "jobseeker_status_changed": (ResponsibilityReason.REGISTERED_AS_JOBSEEKER if to_region
                                     else ResponsibilityReason.NO_LONGER_REGISTERED_JOBSEEKER),
    }[old.reason]
    return ResponsibilityAssigned(previous_organisation=None, responsible_organisation=old.responsible_organisation,
                                  effective_on=old.effective_on, reason=reason)


class PlanIssuedV1(PlanningEvent):
    """v1: period, goals and LUVN participation only; no content codes, agreement or limits."""

    TYPE: ClassVar[str] = "PlanIssued"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    starts_on: date
    ends_on: date
    responsible_organisation: Organisation
    goals: Goals = Field(min_length=1)
    luvn_participation: bool


def upcast_plan_issued_v1(old: PlanIssuedV1) -> PlanIssued:
    """v1 recorded no content codes, agreement, limits or due dates: they stay empty or unknown (None),
    and the plan is read as the client's first (its start is the first start)."""
    return PlanIssued(**old.model_dump(), services=(), job_search_obligation=False, follow_up=(), reasons=(),
                      agreed_on=None, language=None, interpreter=None, first_starts_on=old.starts_on,
                      maximum_on=None, maximum_rule=None, review_due_on=None, referrals_due_on=None)


class PlanExtendedV1(PlanningEvent):
    """v1: the new end, the reason (R15-R17 only) and its rule."""

    TYPE: ClassVar[str] = "PlanExtended"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    until: date
    reason: Literal["low_education_special_measures", "multi_sector_special_measures",
                    "home_care_allowance_part_time", "unable_to_carry_out", "self_motivated_studies"]
    rule: RuleId

    @model_validator(mode="before")
    @classmethod
    def default_rule(cls, data: Any) -> Any:
        return with_default_rule(data, "reason", EXTENSION_RULES)


def upcast_plan_extended_v1(old: PlanExtendedV1) -> PlanExtended:
    """v1 did not record the previous end, the maximum, a policy or the interruption: unknown (None)."""
    return PlanExtended(plan_id=old.plan_id, until=old.until, reason=old.reason, rule=old.rule,
                        previous_until=None, maximum_on=None)


class PlanEndedV1(PlanningEvent):
    """v1: fewer end reasons."""

    TYPE: ClassVar[str] = "PlanEnded"
    VERSION: ClassVar[int] = 1

    plan_id: UUID
    ended_on: date
    reason: Literal["period_ended", "maximum_duration_reached", "goals_reached", "moved_away", "client_declined",
                    "replaced_by_new_plan"]


def upcast_plan_ended_v1(old: PlanEndedV1) -> PlanEnded:
    return PlanEnded(plan_id=old.plan_id, ended_on=old.ended_on, reason=PlanEndReason(old.reason))


class InitialInterviewScheduledV1(Event):
    """v1: no case, place, organisation or due rule, and no record of the cancellation instructions."""

    PRODUCER: ClassVar[Service] = Service.ASSESSMENT
    TYPE: ClassVar[str] = "InitialInterviewScheduled"
    VERSION: ClassVar[int] = 1

    interview_id: UUID
    scheduled_at: AwareDatetime
    due_on: date
    language: LanguageCode
    interpreter: bool


def upcast_initial_interview_scheduled_v1(old: InitialInterviewScheduledV1) -> InitialInterviewScheduled:
    """v1 did not record the case, the place, the organisation or the due rule (None), nor that the
    client was told how to cancel: not recorded is not given (False), so no R26 fee can follow."""
    return InitialInterviewScheduled(**old.model_dump(), assessment_id=None, place=None, responsible_organisation=None,
                                     due_rule=None, cancellation_instructions_given=False)


EVENTS: tuple[type[Event], ...] = (ClientRegisteredV1, ClientRegisteredV2, ClientDetailsChangedV1,
                                   ResponsibilityAssignedV1, InitialInterviewScheduledV1, PlanIssuedV1, PlanExtendedV1,
                                   PlanEndedV1)
UPCASTERS: dict[type[Event], Callable[[Any], Event]] = {
    ClientRegisteredV1: upcast_client_registered_v1,
    ClientRegisteredV2: upcast_client_registered_v2,
    ClientDetailsChangedV1: upcast_client_details_changed_v1,
    ResponsibilityAssignedV1: upcast_responsibility_assigned_v1,
    InitialInterviewScheduledV1: upcast_initial_interview_scheduled_v1,
    PlanIssuedV1: upcast_plan_issued_v1,
    PlanExtendedV1: upcast_plan_extended_v1,
    PlanEndedV1: upcast_plan_ended_v1,
}


# --- guidance -------------------------------------------------------------------------------------------


class ReferralCompletedV1(GuidanceEvent):
    """v1: no final language test level."""

    TYPE: ClassVar[str] = "ReferralCompleted"
    VERSION: ClassVar[int] = 1

    referral_id: UUID
    completed_on: date
    outcome: ReferralOutcome


def upcast_referral_completed_v1(old: ReferralCompletedV1) -> ReferralCompleted:
    """v1 recorded no language test level: it reads as unknown (None)."""
    return ReferralCompleted(**old.model_dump(), language_level=None)


EVENTS += (ReferralCompletedV1,)
UPCASTERS[ReferralCompletedV1] = upcast_referral_completed_v1
