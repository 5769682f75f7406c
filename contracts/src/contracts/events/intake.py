"""Events of intake: registering people, deciding responsibility, duplicates and erasure."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.events.base import Event
from contracts.vocabulary import (
    ClientState,
    Code,
    LanguageCode,
    Municipality,
    Organisation,
    RegistrationSource,
    RuleId,
    Service,
    TargetGroup,
)

Languages = tuple[LanguageCode, ...]
TargetGroups = tuple[TargetGroup, ...]


class IntakeEvent(Event):
    """An event published by intake."""

    PRODUCER: ClassVar[Service] = Service.INTAKE


class _Decided(IntakeEvent):
    """Eligibility as decided (R1-R3) and the target date that follows (R8, R9)."""

    state: ClientState
    state_reason: Code
    state_rule: RuleId | None
    assessment_due_on: date | None

    @model_validator(mode="after")
    def check_guidance_only_has_no_assessment_due(self) -> Self:
        if self.state == "guidance_only" and self.assessment_due_on is not None:
            raise ValueError("a guidance_only client has no assessment_due_on")
        return self


class ClientRegistered(_Decided):
    """A person became known to integration services and is either to be assessed or given guidance.

    `window_ends_on` is three years after the first residence permit, card or registration (R2,
    R11); `assessment_due_on` is the target date to start the assessment or, for a registered
    jobseeker, the initial interview (R8, R9). `state_reason` and `state_rule` say why the person
    is to be assessed or offered guidance only (R1-R3); `responsibility_reason` why
    `responsible_organisation` is responsible (R5).
    """

    TYPE: ClassVar[str] = "ClientRegistered"
    VERSION: ClassVar[int] = 3

    client_id: UUID
    home_municipality: Municipality
    languages: Languages = Field(min_length=1)
    target_groups: TargetGroups
    window_ends_on: date
    source: RegistrationSource
    registered_on: date | None
    """The day the source registered the person; None only in registrations upcast from v2."""
    responsible_organisation: Organisation
    responsibility_reason: Code
    registered_jobseeker: bool
    luvn_participation_required: bool


class ClientSourceAdded(_Decided):
    """Another source reached a person who is already a client (one person, one client).

    Carries the client's target groups, state and assessment target after the addition; a jobseeker
    registration restarts the initial-interview clock (R9).
    """

    TYPE: ClassVar[str] = "ClientSourceAdded"
    VERSION: ClassVar[int] = 1

    source: RegistrationSource
    registered_on: date
    target_groups: TargetGroups
    luvn_participation_required: bool


class ClientDetailsChanged(IntakeEvent):
    """Attributes other services use changed; a field left as None did not change."""

    TYPE: ClassVar[str] = "ClientDetailsChanged"
    VERSION: ClassVar[int] = 2

    home_municipality: Municipality | None = None
    languages: Languages | None = Field(default=None, min_length=1)
    target_groups: TargetGroups | None = None
    window_ends_on: date | None = None
    registered_jobseeker: bool | None = None

    @model_validator(mode="after")
    def check_something_changed(self) -> Self:
        if all(value is None for value in self.model_dump().values()):
            raise ValueError("at least one attribute must change")
        return self


class ResponsibilityReason(StrEnum):
    """Why responsibility lies where it does, or moved (R5, service agreements)."""

    REGISTERED_JOBSEEKER = "registered_jobseeker"
    SERVICE_AGREEMENT = "service_agreement"
    OWN_MUNICIPAL_SERVICES = "own_municipal_services"
    REGISTERED_AS_JOBSEEKER = "registered_as_jobseeker"
    NO_LONGER_REGISTERED_JOBSEEKER = "no_longer_registered_jobseeker"
    MOVED_TO_ANOTHER_MUNICIPALITY = "moved_to_another_municipality"
    SERVICE_AGREEMENT_CHANGED = "service_agreement_changed"


class ResponsibilityAssigned(IntakeEvent):
    """Responsibility for the person's assessment, plan and review moved from one organisation to
    another (R5), from `effective_on`."""

    TYPE: ClassVar[str] = "ResponsibilityAssigned"
    VERSION: ClassVar[int] = 2

    previous_organisation: Organisation | None
    responsible_organisation: Organisation
    effective_on: date
    reason: ResponsibilityReason
    rule: Literal["R5"] = "R5"


class PossibleDuplicateFlagged(IntakeEvent):
    """Intake's vault suspects this client and another are the same person; an officer decides."""

    TYPE: ClassVar[str] = "PossibleDuplicateFlagged"
    VERSION: ClassVar[int] = 1

    other_client_id: UUID
    matched_on: Literal["identity_code", "name_and_birth_date", "contact_details"]


class DuplicateResolved(IntakeEvent):
    """An officer decided a flagged pair: merged into `surviving_client_id`, or not the same person."""

    TYPE: ClassVar[str] = "DuplicateResolved"
    VERSION: ClassVar[int] = 1

    other_client_id: UUID
    resolution: Literal["merged", "not_duplicate"]
    surviving_client_id: UUID | None = None

    @model_validator(mode="after")
    def check_survivor_only_when_merged(self) -> Self:
        if (self.resolution == "merged") != (self.surviving_client_id is not None):
            raise ValueError("surviving_client_id is required when merged and only then")
        return self


class ClientRelationshipEnded(IntakeEvent):
    """The client relationship ended on `ended_on`; R29's 4-year retention runs from that day."""

    TYPE: ClassVar[str] = "ClientRelationshipEnded"
    VERSION: ClassVar[int] = 1

    ended_on: date
    reason: Literal["services_completed", "moved_away", "declined_services", "deceased", "other"]
    erase_on: date


class ClientErased(IntakeEvent):
    """The person's vault entry and its key were deleted; only the pseudonymous id remains (R29)."""

    TYPE: ClassVar[str] = "ClientErased"
    VERSION: ClassVar[int] = 1

    erased_on: date
    basis: Literal["client_request", "retention_expired"]


class ResponsibilityClaimed(IntakeEvent):
    """A receiving municipality claims a client who moved there. Nothing changes yet: the claim takes
    effect when the responsible organisation accepts it, or once `objection_deadline` (a working day)
    has passed without an objection."""

    TYPE: ClassVar[str] = "ResponsibilityClaimed"
    VERSION: ClassVar[int] = 1

    claim_id: UUID
    claimant: Organisation
    home_municipality: Municipality
    moved_on: date
    objection_deadline: date


class ClaimAccepted(IntakeEvent):
    """A claim took effect: accepted by the responsible organisation, or unopposed past its deadline.
    The move and any handover follow as `ClientDetailsChanged` and `ResponsibilityAssigned`."""

    TYPE: ClassVar[str] = "ClaimAccepted"
    VERSION: ClassVar[int] = 1

    claim_id: UUID
    accepted_by: Literal["responsible_organisation", "deadline"]


class ClaimObjected(IntakeEvent):
    """The responsible organisation objected to a claim; nothing changes."""

    TYPE: ClassVar[str] = "ClaimObjected"
    VERSION: ClassVar[int] = 1

    claim_id: UUID
    reason: Literal["not_moved", "moved_elsewhere", "services_ongoing", "other"]


EVENTS: tuple[type[Event], ...] = (
    ClientRegistered,
    ClientSourceAdded,
    ClientDetailsChanged,
    ResponsibilityAssigned,
    PossibleDuplicateFlagged,
    DuplicateResolved,
    ClientRelationshipEnded,
    ClientErased,
    ResponsibilityClaimed,
    ClaimAccepted,
    ClaimObjected,
)
