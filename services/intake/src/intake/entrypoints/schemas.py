"""The HTTP API's request and response bodies, validated field by field.

A registration over HTTP carries the same facts as on an ingress topic (`contracts.ingress`), with
the person in clear under `person`: HTTPS protects it on the way and intake's vault keeps it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.ingress import (
    Address,
    AuthorityContact,
    Email,
    IdentityCode,
    JobseekerRegistration,
    KelaNotification,
    Languages,
    NewcomerNotice,
    OwnRequest,
    PersonalData,
    Phone,
    RefugeePlacement,
    Text,
)
from contracts.dates import BirthDate
from contracts.vocabulary import Municipality
from backbone.clock import Past


class Person(PersonalData):
    """Who the person is; kept encrypted in intake's vault, never published."""

    date_of_birth: BirthDate


class JobseekerRegistrationRequest(JobseekerRegistration):
    person: Person


class KelaNotificationRequest(KelaNotification):
    person: Person


class RefugeePlacementRequest(RefugeePlacement):
    person: Person


class NewcomerNoticeRequest(NewcomerNotice):
    person: Person


class AuthorityContactRequest(AuthorityContact):
    person: Person


class OwnRequestForm(OwnRequest):
    """The public contact form: the person asks for guidance, or for an assessment, themselves."""

    person: Person


class RegistrationAccepted(BaseModel):
    client_id: UUID
    created: bool = Field(description="False when the person was already a client (same identity code): the "
                                      "registration was added to that client.")
    possible_duplicates: list[UUID] = Field(description="Clients with the same name, birth date and "
                                                        "municipality; an officer resolves them.")
    event_ids: list[UUID]
    correlation_id: UUID


class RequestReceived(BaseModel):
    reference: UUID
    message: str = Field(description="The acknowledgement in the language asked for (Accept-Language).")
    language: str


class Done(BaseModel):
    client_id: UUID
    event_ids: list[UUID]
    correlation_id: UUID
    changed: bool = Field(True, description="Always true here: a command that would change nothing is answered "
                                            "409 with `changed: false`.")


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home_municipality: Municipality = Field(description="The claimant's municipality, where the person moved.")
    on: Past = Field(description="The day the person moved.")


class ClaimMade(Done):
    claim_id: UUID
    objection_deadline: date = Field(description="The last working day the responsible organisation may object; "
                                                 "unopposed, the claim takes effect the next day.")


class ClaimObjectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["not_moved", "moved_elsewhere", "services_ongoing", "other"]


class OpenClaimOut(BaseModel):
    client_id: UUID
    claim_id: UUID
    claimed_by: str
    responsible_organisation: str
    home_municipality: str
    claim_deadline: date


class HandoverOut(BaseModel):
    """A change of responsibility, as the organisation that lost or gained the client sees it."""

    client_id: UUID
    event_id: UUID
    previous_organisation: str | None
    responsible_organisation: str
    reason: str
    effective_on: date
    recorded_at: datetime


class ContactRequestOut(BaseModel):
    """A request the person made on the public form, found by the reference they were given."""

    reference: UUID = Field(description="The reference the form answered with (the registration's correlation id).")
    event_id: UUID = Field(description="The registration (ClientRegistered or ClientSourceAdded) it made.")
    client_id: UUID
    responsible_organisation: str
    received_at: datetime


class ProposedChangeOut(BaseModel):
    """Personal data another sender gave for the person, differing from the record; personal data."""

    change_id: UUID
    proposed_by: str
    source: str
    proposed_at: datetime
    values: dict


class PersonalDataSaved(Done):
    revision: int = Field(description="The record's new revision; also the response's ETag.")


class PersonalDataChanges(BaseModel):
    """Fields of the person to correct or complete; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    identity_code: IdentityCode | None = None
    date_of_birth: BirthDate | None = None
    address: Address | None = None
    phone: Phone | None = None
    email: Email | None = None
    languages: Languages | None = None
    interpreter_needed: bool | None = None

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class JobseekerStatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registered: bool
    on: Past


class HomeMunicipalityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home_municipality: Municipality
    on: Past


class RelationshipEndBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: Past
    reason: Literal["services_completed", "moved_away", "declined_services", "deceased", "other"]


class ErasureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: Literal["client_request"] = Field(description="Erasure on the person's request; erasure at the end "
                                                         "of retention (R29) is done by intake itself.")


class DuplicateResolutionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: UUID
    other_client_id: UUID
    resolution: Literal["merged", "not_duplicate"]
    surviving_client_id: UUID | None = None


class ClientSummary(BaseModel):
    """What other organisations may know of a client: codes, dates and ids."""

    client_id: UUID
    version: int
    home_municipality: str
    languages: list[str]
    target_groups: list[str]
    sources: list[str]
    responsible_organisation: str
    registered_jobseeker: bool
    state: str
    window_ends_on: date | None
    assessment_due_on: date | None
    relationship_ended_on: date | None
    erase_on: date | None
    erased: bool
    merged_into: UUID | None
    luvn_participation_required: bool
    claim_id: UUID | None = Field(None, description="An open claim on the client by a receiving municipality.")
    claimed_by: str | None = None
    claim_deadline: date | None = None


class ContactDetails(BaseModel):
    """What notifications need to reach the person in their language."""

    client_id: UUID
    name: str
    email: str | None
    phone: str | None
    address: dict | None
    languages: list[str]
    interpreter_needed: bool


class ContactRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: UUID
    purpose: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$", description="Why it is read (e.g. "
                         "`notification_welcome`); written to the client's access log.")


class ContactReads(BaseModel):
    """Several contact reads in one request, each with its own purpose."""

    model_config = ConfigDict(extra="forbid")

    reads: list[ContactRead] = Field(min_length=1, max_length=100)


class ContactDetailsMany(BaseModel):
    contacts: list[ContactDetails] = Field(description="Those found, in the order asked, once per client.")
    not_found: list[UUID] = Field(description="Clients with no personal data: erased, or never registered.")


class AccessLogEntry(BaseModel):
    principal: str
    role: str
    key_id: str
    purpose: str
    fields: list[str]
    accessed_at: datetime


class DuplicateFlag(BaseModel):
    client_id: UUID
    other_client_id: UUID
    matched_on: str
    flagged_at: datetime


class ClientCount(BaseModel):
    clients: int


class StreamEntryOut(BaseModel):
    version: int
    type: str
    schema_version: int
    event_id: UUID
    recorded_at: datetime


class IngressKey(BaseModel):
    key_id: str = Field(description="Hex of the first 8 bytes of SHA-256 of the raw public key; the token names it.")
    public_key: str = Field(description="Base64 of the raw 32-byte X25519 public key.")
    algorithm: str
    suite: dict[str, str | int] = Field(description="The HPKE suite (RFC 9180) to seal with, with its identifiers.")
    token: str = Field(description="The format of `sealed`.")
    context: str = Field(description="HPKE `info`: the UTF-8 bytes of this string with the message id filled in.")
