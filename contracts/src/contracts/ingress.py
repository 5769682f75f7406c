"""What organisations send to intake: registrations from each source, and who the person is.

An organisation's system sends these on its own ingress topic (`ingress.<organisation>.v1`), where
the Kafka principal, not a field, says who sent it; a person at an office sends the same facts
through intake's HTTP API. The personal part (`PersonalData`) never travels in clear on the bus: on
an ingress topic it is sealed to intake's public key (`contracts.sealing`), bound to the message's
id, so only intake can read it and the sealed part cannot be moved to another message.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from stdnum.fi import hetu

from contracts.dates import BirthDate, PastDay, PlannedDay, SentAt
from contracts.errors import ContractError, describe
from contracts.vocabulary import LanguageCode, Municipality, TargetGroup

INGRESS_VERSION = 1

CENTURY_SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}
"""Since 2023 the 1900s and the 2000s each have several century signs; all of them are in use."""
_CENTURIES = {sign: century for century, signs in CENTURY_SIGNS.items() for sign in signs}
_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def _valid_identity_code(code: str) -> str:
    try:
        return hetu.validate(code, allow_temporary=True)
    except hetu.ValidationError:
        raise ValueError("not a valid Finnish personal identity code (format or check character)") from None


def birth_date_of(identity_code: str) -> date:
    """The birth date a (valid) personal identity code encodes."""
    century = _CENTURIES[identity_code[6]]
    return date(century + int(identity_code[4:6]), int(identity_code[2:4]), int(identity_code[0:2]))


def identity_code(born: date, individual: int, sign_choice: int = 0) -> str:
    """The identity code of someone born on `born` with the individual number `individual` (900-999 are
    temporary codes); `sign_choice` picks among the century's signs. For invented people only."""
    signs = CENTURY_SIGNS[born.year // 100 * 100]
    digits = f"{born:%d%m%y}{individual:03d}"
    return f"{digits[:6]}{signs[sign_choice % len(signs)]}{digits[6:]}{_CHECK[int(digits) % 31]}"


IdentityCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=11),
                         AfterValidator(_valid_identity_code)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")]


def _readable(text: str) -> str:
    """No control characters, and at least one letter or digit: a name or a street that is only
    NUL, format characters or punctuation is not one."""
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("must not contain control characters")
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        raise ValueError("must contain a letter or a digit")
    return text


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 AfterValidator(_readable)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=12), AfterValidator(_unique)]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    street: Text
    postal_code: PostalCode
    post_office: Text


class PersonalData(BaseModel):
    """Who the person is. Intake keeps it encrypted in its vault; it never appears in an event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    identity_code: IdentityCode | None = Field(None, description="Finnish personal identity code (temporary codes "
                                                                  "included), when the person has one; the key to "
                                                                  "one person, one client.")
    date_of_birth: BirthDate
    address: Address | None = None
    phone: Phone | None = None
    email: Email | None = None
    languages: Languages = Field(description="ISO 639 codes, the preferred language first.")
    interpreter_needed: bool = Field(False, description="R27: the person does not know Finnish or Swedish well "
                                                        "enough; an interpreter is arranged (never a relative).")

    @model_validator(mode="after")
    def check_birth_date_matches_identity_code(self) -> Self:
        if self.identity_code is not None and birth_date_of(self.identity_code) != self.date_of_birth:
            raise ValueError("identity_code: does not encode date_of_birth")
        return self


Day = PastDay
"""A day something happened, 2000 to today (contracts.dates)."""


class _Facts(BaseModel):
    """What every source tells about the person besides who they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home_municipality: Municipality
    first_permit_date: Day = Field(description="First residence permit, residence card or registration of the "
                                               "right of residence: starts the three-year window (R2, R11).")
    moved_to_finland_on: Day | None = Field(None, description="Stored for the record; never decides (law.md).")
    target_groups: Annotated[list[TargetGroup], AfterValidator(_unique)] = Field(
        default_factory=list, description="Further R2 target groups the sender knows of, e.g. "
                                          "unaccompanied_minor or trafficking_victim.")


class JobseekerRegistration(_Facts):
    """The employment region registered the person as a jobseeker at one of its service points."""

    source: Literal["employment_region_jobseeker"] = "employment_region_jobseeker"
    registered_on: Day = Field(description="The registration day; starts the 5-working-day clock of R9.")
    service_point: Literal["karis", "hanko", "inkoo"]
    unemployed: bool = True


class KelaNotification(_Facts):
    """Kela tells the municipality of a person receiving a benefit (R30)."""

    source: Literal["kela_notification"] = "kela_notification"
    benefit: Literal["social_assistance", "home_care_allowance"]
    non_temporary: bool = Field(description="Social assistance received other than temporarily (R2, R30).")
    decided_on: Day


class RefugeePlacement(_Facts):
    """The municipality of residence received a refugee or a family member."""

    source: Literal["refugee_placement"] = "refugee_placement"
    protection: Literal["quota_refugee", "international_protection", "family_member"]
    placed_on: PlannedDay


class NewcomerNotice(_Facts):
    """A municipality learnt of a new resident whose native language is foreign; triggers the welcome letter."""

    source: Literal["municipal_newcomer_notice"] = "municipal_newcomer_notice"
    native_language: LanguageCode
    moved_in_on: PlannedDay

    @model_validator(mode="after")
    def check_native_language_is_foreign(self) -> Self:
        if self.native_language in ("fi", "sv", "se", "smn", "sms"):
            raise ValueError("native_language: a newcomer notice is for a foreign native language, "
                             "not Finnish, Swedish or Sámi")
        return self


class AuthorityContact(_Facts):
    """An authority contacts the municipality about a person in the window who needs services (R7)."""

    source: Literal["authority_contact"] = "authority_contact"
    consent_given_on: Day | None = Field(description="R7: the day the person consented to the contact; "
                                                     "without consent the authority refers, it does not contact.")
    needs_assessment: bool = Field(description="The authority judges the person to need an assessment (R2).")


class OwnRequest(_Facts):
    """The person asks for guidance or an assessment themselves (the public contact form)."""

    source: Literal["own_request"] = "own_request"
    asks_for_assessment: bool = False


Registration = Annotated[
    JobseekerRegistration | KelaNotification | RefugeePlacement | NewcomerNotice | AuthorityContact | OwnRequest,
    Field(discriminator="source"),
]
REGISTRATION = TypeAdapter(Registration)


class JobseekerStatusChange(BaseModel):
    """The employment region ended (or restored) the person's jobseeker registration (R5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registered: bool
    on: Day


class SealedIdentity(BaseModel):
    """The sealed part of a message about an existing person: only the identity code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity_code: IdentityCode


MessageType = Literal["Registration", "JobseekerStatusChange"]


class IngressMessage(BaseModel):
    """One message on an ingress topic. `sealed` is the personal part sealed to intake's key with
    `message_id` as context: `PersonalData` for a registration, `SealedIdentity` otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: UUID
    type: MessageType
    version: Literal[1] = INGRESS_VERSION
    sent_at: SentAt
    body: dict[str, Any]
    sealed: Annotated[str, StringConstraints(min_length=1, max_length=16_000, pattern=r"^[A-Za-z0-9._=-]+$")]

    def context(self) -> bytes:
        """What the sealed part is bound to."""
        return sealing_context(self.message_id)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> IngressMessage:
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidIngressMessage(f"not a valid ingress message: {describe(exc)}") from None

    def registration(self) -> JobseekerRegistration | KelaNotification | RefugeePlacement | NewcomerNotice \
            | AuthorityContact | OwnRequest:
        return _parse(REGISTRATION, self.body, "body")

    def status_change(self) -> JobseekerStatusChange:
        return _parse(JobseekerStatusChange, self.body, "body")


def sealing_context(message_id: UUID) -> bytes:
    return b"ingress:" + str(message_id).encode()


def parse_personal(raw: bytes, model: type[BaseModel] = PersonalData) -> Any:
    """The opened sealed part; errors name fields, never values."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidIngressMessage(f"sealed part: {describe(exc)}") from None


def _parse(model: Any, data: Any, where: str) -> Any:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise InvalidIngressMessage(f"{where}: {describe(exc)}") from None


class InvalidIngressMessage(ContractError):
    """An ingress message, or its sealed part, that does not validate; the reason names fields only."""

    code = "invalid_ingress_message"

