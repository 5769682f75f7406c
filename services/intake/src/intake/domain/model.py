"""Registering a person: who is responsible, which state they start in, and their dates.

Pure: no I/O and no clock (`today` is passed in). `PersonalDetails` is who the person is and stays
in intake's vault; `Client` holds only what other services may know and records the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from contracts.events.base import Event
from contracts.events.intake import ClientRegistered
from contracts.vocabulary import ClientState, Municipality, Organisation, RegistrationSource, TargetGroup

WINDOW_YEARS = 3
ASSESSMENT_TARGET_DAYS = 5


@dataclass(frozen=True)
class PersonalDetails:
    """Who the person is. Kept in the vault only: never in an event, a log line or an error message."""

    name: str
    date_of_birth: date
    email: str | None = None
    phone: str | None = None

    def check_born_by(self, today: date) -> None:
        if self.date_of_birth > today:
            raise InvalidRegistration("date_of_birth", "must not be in the future")


@dataclass
class Client:
    """A registered person as the other services know them: codes, dates and a pseudonymous id."""

    id: UUID
    home_municipality: Municipality
    languages: tuple[str, ...]
    target_groups: tuple[TargetGroup, ...]
    source: RegistrationSource
    responsible_organisation: Organisation
    state: ClientState
    window_ends_on: date
    assessment_due_on: date | None
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(cls, client_id: UUID, *, personal: PersonalDetails, home_municipality: Municipality,
                 languages: Sequence[str], target_groups: Sequence[TargetGroup], residence_permit_date: date,
                 source: RegistrationSource, today: date) -> Client:
        personal.check_born_by(today)
        check_languages(languages)
        groups = tuple(dict.fromkeys(target_groups))
        state = initial_state(groups)
        client = cls(client_id, home_municipality, tuple(dict.fromkeys(languages)), groups, source,
                     responsible_organisation(groups), state, window_ends_on(residence_permit_date),
                     assessment_due_on(state, registered_on=today))
        client._record(client._registered())
        return client

    def _registered(self) -> ClientRegistered:
        return ClientRegistered(
            client_id=self.id, home_municipality=self.home_municipality, languages=self.languages,
            target_groups=self.target_groups, window_ends_on=self.window_ends_on, source=self.source,
            responsible_organisation=self.responsible_organisation, luvn_participation_required=False,
            state=self.state, assessment_due_on=self.assessment_due_on)

    def _record(self, event: Event) -> None:
        self.events.append(event)


def responsible_organisation(target_groups: Sequence[TargetGroup]) -> Organisation:
    """Skeleton of R5: the employment region for unemployed jobseekers, otherwise Raseborg.

    Service agreements (Hanko, Inkoo) and changes of jobseeker status come with the full intake rules.
    """
    if TargetGroup.UNEMPLOYED_JOBSEEKER in target_groups:
        return Organisation.EMPLOYMENT_REGION
    return Organisation.RASEBORG


def initial_state(target_groups: Sequence[TargetGroup]) -> ClientState:
    """R1/R2: anyone in a target group is to be assessed; everyone else is offered guidance."""
    return "to_be_assessed" if target_groups else "guidance_only"


def window_ends_on(residence_permit_date: date) -> date:
    """R2/R11: three years after the first residence permit; from 29 February, the 28th."""
    year = residence_permit_date.year + WINDOW_YEARS
    try:
        return residence_permit_date.replace(year=year)
    except ValueError:  # 29 February: the month of the due year has no such day, so its last day
        return date(year, 3, 1) - timedelta(days=1)


def assessment_due_on(state: ClientState, *, registered_on: date) -> date | None:
    """R8/R9 for now: five calendar days after the registration day; none for guidance only.

    The programme's target is five working days, which needs the calendar of Finnish public
    holidays; that rule arrives with the full intake rules. Until then the date is never later
    than the working-day target, only earlier by the weekend and holidays in between.
    """
    if state == "guidance_only":
        return None
    return registered_on + timedelta(days=ASSESSMENT_TARGET_DAYS)


def check_languages(languages: Sequence[str]) -> None:
    if not languages:
        raise InvalidRegistration("languages", "at least one language is required")


class InvalidRegistration(ValueError):
    """A registration that breaks a rule; names the field, never its value (it may be personal data)."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field, self.reason = field_name, reason
        super().__init__(f"{field_name}: {reason}")
