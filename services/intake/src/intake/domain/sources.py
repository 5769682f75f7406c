"""What each way of reaching the services means: who may send it, and what it says in law's terms.

Pure. A source is owned by the organisations the programme gives it to (§1, §3, §4.1); a message
from anyone else is refused, whatever it claims about itself. The sender is the Kafka principal of
the ingress topic or the authenticated HTTP caller, never a field of the message.
"""

from __future__ import annotations

from datetime import date

from contracts.ingress import (
    AuthorityContact,
    JobseekerRegistration,
    KelaNotification,
    NewcomerNotice,
    OwnRequest,
    RefugeePlacement,
)
from contracts.vocabulary import Municipality, Organisation, RegistrationSource, TargetGroup
from intake.domain.errors import Refused

AnyRegistration = (JobseekerRegistration | KelaNotification | RefugeePlacement | NewcomerNotice | AuthorityContact
                   | OwnRequest)

MUNICIPAL = frozenset({Organisation.RASEBORG, Organisation.HANGO, Organisation.INGA})
AUTHORITIES = frozenset(Organisation)

SENDERS: dict[RegistrationSource, frozenset[Organisation]] = {
    RegistrationSource.EMPLOYMENT_REGION_JOBSEEKER: frozenset({Organisation.EMPLOYMENT_REGION}),
    RegistrationSource.KELA_NOTIFICATION: frozenset({Organisation.KELA}),
    RegistrationSource.REFUGEE_PLACEMENT: MUNICIPAL,
    RegistrationSource.MUNICIPAL_NEWCOMER_NOTICE: MUNICIPAL,
    RegistrationSource.AUTHORITY_CONTACT: AUTHORITIES,
    RegistrationSource.OWN_REQUEST: frozenset(),  # only the person, through the public endpoint
}
"""Which organisations may send each source."""

_OWN_MUNICIPALITY = {Organisation.RASEBORG: Municipality.RASEBORG, Organisation.HANGO: Municipality.HANGO,
                     Organisation.INGA: Municipality.INGA}


def check_sender(registration: AnyRegistration, sender: Organisation | None) -> None:
    """Refuse a registration its sender does not own (`sender` None: the person themselves)."""
    source = RegistrationSource(registration.source)
    if sender is None:
        if source != RegistrationSource.OWN_REQUEST:
            raise Refused("ownership.source", f"{source} is sent by an organisation, not by the person")
        return
    if sender not in SENDERS[source]:
        allowed = ", ".join(sorted(SENDERS[source])) or "the person only (public endpoint)"
        raise Refused("ownership.source", f"{sender} may not send {source}; sent by: {allowed}")
    municipality = _OWN_MUNICIPALITY.get(sender)
    if source in (RegistrationSource.REFUGEE_PLACEMENT, RegistrationSource.MUNICIPAL_NEWCOMER_NOTICE) \
            and registration.home_municipality != municipality:
        raise Refused("ownership.municipality",
                      f"{sender} sends {source} for its own residents only, not for {registration.home_municipality}")


def target_groups(registration: AnyRegistration) -> tuple[TargetGroup, ...]:
    """The R2 target groups the registration establishes, with those the sender adds."""
    found: list[TargetGroup] = []
    match registration:
        case JobseekerRegistration(unemployed=True):
            found.append(TargetGroup.UNEMPLOYED_JOBSEEKER)
        case KelaNotification(benefit="social_assistance", non_temporary=non_temporary):
            if not non_temporary:
                raise Refused("R30", "Kela notifies social assistance received other than temporarily only")
            found.append(TargetGroup.SOCIAL_ASSISTANCE)
        case KelaNotification(benefit="home_care_allowance"):
            found.append(TargetGroup.HOME_CARE_ALLOWANCE)
        case RefugeePlacement(protection="family_member"):
            found.append(TargetGroup.FAMILY_MEMBER)
        case RefugeePlacement():
            found.append(TargetGroup.INTERNATIONAL_PROTECTION)
        case AuthorityContact(consent_given_on=None):
            raise Refused("R7", "an authority contacts the municipality only with the person's consent; "
                                "without it, refer the person instead")
        case AuthorityContact(needs_assessment=True) | OwnRequest(asks_for_assessment=True):
            found.append(TargetGroup.OWN_REQUEST_OR_AUTHORITY_CONTACT)
    return tuple(dict.fromkeys([*found, *registration.target_groups]))


def registered_on(registration: AnyRegistration, today: date) -> date:
    """The day the source registered the person: the jobseeker registration day (R9), else the day
    the municipality's intake learns of the person (R8: the assessment starts without delay)."""
    if isinstance(registration, JobseekerRegistration):
        if registration.registered_on > today:
            raise Refused("R9", "registered_on must not be in the future")
        return registration.registered_on
    return today


def is_jobseeker_registration(registration: AnyRegistration) -> bool:
    return isinstance(registration, JobseekerRegistration)
