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
    LanguageCode,
    Municipality,
    Organisation,
    RegistrationSource,
    Service,
    TargetGroup,
)

Languages = tuple[LanguageCode, ...]
TargetGroups = tuple[TargetGroup, ...]


class IntakeEvent(Event):
    """An event published by intake."""

    PRODUCER: ClassVar[Service] = Service.INTAKE


class ClientRegistered(IntakeEvent):
    """A person became known to integration services and is either to be assessed or given guidance.

    `window_ends_on` is three years after the first residence permit, card or registration (R2,
    R11); `assessment_due_on` is the target date to start the assessment (R8, R9).
    """

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

    @model_validator(mode="after")
    def check_guidance_only_has_no_assessment_due(self) -> Self:
        if self.state == "guidance_only" and self.assessment_due_on is not None:
            raise ValueError("a guidance_only client has no assessment_due_on")
        return self


class ClientDetailsChanged(IntakeEvent):
    """Attributes other services use changed; a field left as None did not change."""

    TYPE: ClassVar[str] = "ClientDetailsChanged"
    VERSION: ClassVar[int] = 1

    home_municipality: Municipality | None = None
    languages: Languages | None = Field(default=None, min_length=1)
    target_groups: TargetGroups | None = None
    window_ends_on: date | None = None

    @model_validator(mode="after")
    def check_something_changed(self) -> Self:
        if all(value is None for value in self.model_dump().values()):
            raise ValueError("at least one attribute must change")
        return self


class ResponsibilityReason(StrEnum):
    """Why responsibility lies where it does (R5, service agreements)."""

    REGISTERED_JOBSEEKER = "registered_jobseeker"
    OUTSIDE_LABOUR_MARKET = "outside_labour_market"
    SERVICE_AGREEMENT = "service_agreement"
    NO_SERVICE_AGREEMENT = "no_service_agreement"
    JOBSEEKER_STATUS_CHANGED = "jobseeker_status_changed"


class ResponsibilityAssigned(IntakeEvent):
    """An organisation became responsible for the person's assessment and plan (R5)."""

    TYPE: ClassVar[str] = "ResponsibilityAssigned"
    VERSION: ClassVar[int] = 1

    responsible_organisation: Organisation
    effective_on: date
    reason: ResponsibilityReason


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


class ClientErased(IntakeEvent):
    """The person's vault entry and its key were deleted; only the pseudonymous id remains (R29)."""

    TYPE: ClassVar[str] = "ClientErased"
    VERSION: ClassVar[int] = 1

    erased_on: date
    basis: Literal["client_request", "retention_expired"]


EVENTS: tuple[type[Event], ...] = (
    ClientRegistered,
    ClientDetailsChanged,
    ResponsibilityAssigned,
    PossibleDuplicateFlagged,
    DuplicateResolved,
    ClientErased,
)
