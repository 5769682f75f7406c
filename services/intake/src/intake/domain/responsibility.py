"""Who does a person's assessment, plan and review (R5), and when the county takes part (R6).

Pure: the day and the agreement book are passed in. Registered jobseekers belong to the employment
region; everyone else to their home municipality's integration services, or to whoever an agreement
in force that day names (Hanko → Raseborg; Inkoo → Raseborg once its agreement is in force).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from contracts.vocabulary import LUVN_GROUPS, Municipality, Organisation, TargetGroup
from intake.domain.agreements import AgreementBook

OWN_SERVICES: dict[Municipality, Organisation] = {
    Municipality.RASEBORG: Organisation.RASEBORG,
    Municipality.HANGO: Organisation.HANGO,
    Municipality.INGA: Organisation.INGA,
}
"""Each municipality's own integration services, responsible when no agreement covers the day."""


@dataclass(frozen=True)
class Responsibility:
    organisation: Organisation
    rule: str
    reason: str


@dataclass(frozen=True)
class Circumstances:
    """What responsibility depends on, on one day."""

    is_registered_jobseeker: bool
    home_municipality: Municipality
    day: date


@dataclass(frozen=True)
class ResponsibilityChange:
    from_organisation: Organisation
    to_organisation: Organisation
    reason: str
    rule: str = "R5"


def responsible_organisation(is_registered_jobseeker: bool, home_municipality: Municipality, day: date,
                             book: AgreementBook) -> Responsibility:
    """R5: the employment region for registered jobseekers; else the agreed provider, else the municipality."""
    if is_registered_jobseeker:
        return Responsibility(Organisation.EMPLOYMENT_REGION, "R5", "registered_jobseeker")
    provider = book.provider_on(home_municipality, day)
    if provider is not None:
        return Responsibility(provider, "R5", "service_agreement")
    return Responsibility(OWN_SERVICES[Municipality(home_municipality)], "R5", "own_municipal_services")


def receiving_organisation(municipality: Municipality, day: date, book: AgreementBook) -> Organisation:
    """Who takes over a resident of `municipality` who is not a registered jobseeker: the only
    organisation that may claim a client who moved there."""
    return responsible_organisation(False, municipality, day, book).organisation


def luvn_participation_required(target_groups: Collection[TargetGroup], *, coordination_needed: bool = False) -> bool:
    """R6: the wellbeing services county takes part for the programme's groups, or whenever services
    need coordinating for someone else in need (`coordination_needed`, an official's judgement)."""
    return coordination_needed or any(TargetGroup(group) in LUVN_GROUPS for group in target_groups)


def responsibility_change(before: Circumstances, after: Circumstances, *,
                          book: AgreementBook) -> ResponsibilityChange | None:
    """R5: who hands over to whom when jobseeker status, home municipality or an agreement changes; None if no one.

    When several things change at once, the reason names the first of: jobseeker status, move, agreement.
    """
    old = responsible_organisation(before.is_registered_jobseeker, before.home_municipality, before.day, book)
    new = responsible_organisation(after.is_registered_jobseeker, after.home_municipality, after.day, book)
    if old.organisation == new.organisation:
        return None
    return ResponsibilityChange(old.organisation, new.organisation, _change_reason(before, after))


def _change_reason(before: Circumstances, after: Circumstances) -> str:
    if before.is_registered_jobseeker != after.is_registered_jobseeker:
        return "registered_as_jobseeker" if after.is_registered_jobseeker else "no_longer_registered_jobseeker"
    if before.home_municipality != after.home_municipality:
        return "moved_to_another_municipality"
    return "service_agreement_changed"
