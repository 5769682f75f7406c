"""What callers ask intake to do, as plain data. `sender` is the authenticated organisation (the
Kafka principal or the HTTP credential), never a field of the request; None is the person themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from uuid import UUID, uuid4

from contracts.envelope import SYSTEM_ACTOR
from contracts.ingress import PersonalData
from contracts.vocabulary import Municipality, Organisation
from intake.domain.sources import AnyRegistration


@dataclass(frozen=True, kw_only=True)
class Command:
    sender: Organisation | None
    actor: str = SYSTEM_ACTOR
    correlation_id: UUID = field(default_factory=uuid4)
    causation_id: UUID | None = field(default=None)


@dataclass(frozen=True, kw_only=True)
class ClientCommand(Command):
    """A command about one existing client."""

    client_id: UUID


@dataclass(frozen=True, kw_only=True)
class Register(Command):
    """A source reached a person: a new client, or another source for the same person."""

    registration: AnyRegistration
    person: PersonalData
    client_id: UUID = field(default_factory=uuid4)
    idempotency_key: str | None = None
    """Set by HTTP callers that may retry: the same key with the same request gets the first answer."""


@dataclass(frozen=True, kw_only=True)
class ChangeJobseekerStatus(Command):
    client_id: UUID | None = None
    identity_code: str | None = None
    registered: bool
    on: date


@dataclass(frozen=True, kw_only=True)
class ChangeHomeMunicipality(ClientCommand):
    municipality: Municipality
    on: date


@dataclass(frozen=True, kw_only=True)
class ResolveDuplicate(ClientCommand):
    other_client_id: UUID
    resolution: Literal["merged", "not_duplicate"]
    surviving_client_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class EndRelationship(ClientCommand):
    ended_on: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class Erase(ClientCommand):
    basis: Literal["client_request", "retention_expired"]


@dataclass(frozen=True, kw_only=True)
class UpdatePersonalData(ClientCommand):
    """Correct or complete who the person is; `changes` holds only the fields that change.
    `expected_revision` is the record's revision the edit is based on (HTTP If-Match)."""

    changes: dict
    expected_revision: int | None = None


@dataclass(frozen=True, kw_only=True)
class ClaimResponsibility(ClientCommand):
    """The receiving municipality claims a client who moved there (takes effect on acceptance or after
    the objection period)."""

    municipality: Municipality
    on: date
    claim_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, kw_only=True)
class DecideClaim(ClientCommand):
    """The responsible organisation accepts or objects to a claim on its client."""

    claim_id: UUID
    accept: bool
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecideProposedChange(ClientCommand):
    """The responsible organisation accepts or rejects personal data another sender proposed."""

    change_id: UUID
    accept: bool
