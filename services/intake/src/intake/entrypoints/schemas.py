"""The HTTP API's request and response bodies, validated field by field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from contracts.vocabulary import LanguageCode, Municipality, RegistrationSource, TargetGroup
from intake.adapters.clock import today_in_finland

Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")]


def _not_in_future(day: date) -> date:
    if day > today_in_finland():
        raise ValueError("must not be in the future")
    return day


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


class ClientRegistration(BaseModel):
    """A person to register. Name, birth date, e-mail and phone stay in intake's vault."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    date_of_birth: Annotated[date, AfterValidator(_not_in_future)]
    email: Email | None = None
    phone: Phone | None = None
    home_municipality: Municipality
    languages: Annotated[list[LanguageCode], Field(min_length=1, max_length=12), AfterValidator(_unique)] = Field(
        description="ISO 639 codes, the preferred language first.")
    residence_permit_date: date = Field(description="First residence permit, card or registration; starts the "
                                                    "three-year window.")
    source: RegistrationSource
    target_groups: Annotated[list[TargetGroup], AfterValidator(_unique)] = Field(
        default_factory=list, description="Why the person must be assessed; empty means guidance only.")


class RegistrationAccepted(BaseModel):
    client_id: UUID
    event_id: UUID
    correlation_id: UUID


class ClientCount(BaseModel):
    clients: int


class StreamEntryOut(BaseModel):
    version: int
    type: str
    schema_version: int
    event_id: UUID
    recorded_at: datetime
