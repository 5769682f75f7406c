"""What callers ask intake to do, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from contracts.envelope import SYSTEM_ACTOR
from contracts.vocabulary import Municipality, Organisation, RegistrationSource, TargetGroup
from intake.domain.model import PersonalDetails


@dataclass(frozen=True)
class RegisterClient:
    """Register a person. `organisation` is who registers them; `client_id` is new and pseudonymous."""

    personal: PersonalDetails
    home_municipality: Municipality
    languages: tuple[str, ...]
    target_groups: tuple[TargetGroup, ...]
    residence_permit_date: date
    source: RegistrationSource
    organisation: Organisation = Organisation.RASEBORG
    actor: str = SYSTEM_ACTOR
    correlation_id: UUID = field(default_factory=uuid4)
    client_id: UUID = field(default_factory=uuid4)
