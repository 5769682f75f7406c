"""Service agreements: which organisation provides a municipality's integration services, and when.

Agreements are effective-dated data, not code (architecture.md, "Organisations and ownership"):
Hanko's services are provided by Raseborg by agreement; Inkoo's agreement is being prepared, so
both its states (pending, and in force from a date) must work. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from contracts.vocabulary import Municipality, Organisation

AgreementStatus = Literal["in_force", "pending"]

HANGO_AGREEMENT_FROM = date(2023, 1, 1)
INGA_PLANNED_FROM = date(2026, 1, 1)
"""A placeholder until Inkoo's agreement is signed; a pending agreement never counts, so it has no effect."""


@dataclass(frozen=True)
class ServiceAgreement:
    """`provider_organisation` provides `municipality`'s integration services from `valid_from` to
    `valid_until` (both days included; `None`: open-ended), once the agreement is in force."""

    municipality: Municipality
    provider_organisation: Organisation
    valid_from: date
    valid_until: date | None = None
    status: AgreementStatus = "in_force"

    def __post_init__(self) -> None:
        object.__setattr__(self, "municipality", Municipality(self.municipality))
        object.__setattr__(self, "provider_organisation", Organisation(self.provider_organisation))
        if self.status not in ("in_force", "pending"):
            raise InvalidAgreement("status", "must be in_force or pending")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise InvalidAgreement("valid_until", "must not be before valid_from")

    def covers(self, municipality: Municipality, day: date) -> bool:
        """True when this agreement decides who serves `municipality` on `day`; a pending one never does."""
        return (self.status == "in_force" and self.municipality == municipality
                and self.valid_from <= day and (self.valid_until is None or day <= self.valid_until))

    def overlaps(self, other: ServiceAgreement) -> bool:
        if self.municipality != other.municipality or "pending" in (self.status, other.status):
            return False
        return ((other.valid_until is None or self.valid_from <= other.valid_until)
                and (self.valid_until is None or other.valid_from <= self.valid_until))


class AgreementBook:
    """All service agreements; at most one in force per municipality on any day."""

    def __init__(self, agreements: Iterable[ServiceAgreement]) -> None:
        self.agreements = tuple(agreements)
        self.check_no_overlaps()

    def provider_on(self, municipality: Municipality, day: date) -> Organisation | None:
        """The organisation an agreement in force on `day` names for `municipality`, else None."""
        for agreement in self.agreements:
            if agreement.covers(municipality, day):
                return agreement.provider_organisation
        return None

    def check_no_overlaps(self) -> None:
        for i, first in enumerate(self.agreements):
            if any(first.overlaps(second) for second in self.agreements[i + 1:]):
                raise InvalidAgreement("valid_from", f"two agreements in force overlap for {first.municipality}")


def default_agreement_book(*, hango_from: date = HANGO_AGREEMENT_FROM, inga_status: AgreementStatus = "pending",
                           inga_from: date = INGA_PLANNED_FROM) -> AgreementBook:
    """The programme's agreements: Hanko → Raseborg in force; Inkoo → Raseborg pending unless told otherwise.

    Raseborg's own residents need no agreement: with none, a municipality serves its own residents.
    """
    return AgreementBook([
        ServiceAgreement(Municipality.HANGO, Organisation.RASEBORG, hango_from, None, "in_force"),
        ServiceAgreement(Municipality.INGA, Organisation.RASEBORG, inga_from, None, inga_status),
    ])


class InvalidAgreement(ValueError):
    """An agreement, or a set of agreements, that cannot decide responsibility unambiguously."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field, self.reason = field_name, reason
        super().__init__(f"{field_name}: {reason}")
