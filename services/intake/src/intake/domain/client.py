"""The client as intake knows it outside the vault: an event-sourced aggregate with no personal data.

Pure: the day, the policy and the facts taken from the vault (`under_23`) are passed in. Every
decision (register, another source, jobseeker status, a move, duplicates, end, erasure) records an
event; `from_history` rebuilds the client from its stream by applying the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from backbone.workdays import WorkingDays
from contracts.events.base import Event
from contracts.events.intake import (
    ClaimAccepted,
    ClaimObjected,
    ClientDetailsChanged,
    ClientErased,
    ClientRegistered,
    ClientRelationshipEnded,
    ClientSourceAdded,
    DuplicateResolved,
    PossibleDuplicateFlagged,
    ResponsibilityAssigned,
    ResponsibilityClaimed,
    ResponsibilityReason,
)
from contracts.vocabulary import ClientState, Municipality, Organisation, RegistrationSource, TargetGroup
from intake.domain import sources
from intake.domain.agreements import AgreementBook, default_agreement_book
from intake.domain.eligibility import Eligibility, decide_on_window, window_ends_on
from intake.domain.errors import Refused, Unchanged
from intake.domain.responsibility import luvn_participation_required, receiving_organisation, responsible_organisation

INITIAL_INTERVIEW_WORKING_DAYS = 5
"""R9: a registered jobseeker's initial interview within 5 working days of the registration day."""

RETENTION_YEARS = 4
"""R29: data is deleted 4 years after the client relationship ends."""


@dataclass(frozen=True)
class Policy:
    """The configurable part: agreements, the working-day calendar (R33) and R8's target."""

    agreements: AgreementBook = field(default_factory=default_agreement_book)
    working_days: WorkingDays = field(default_factory=WorkingDays)
    assessment_target_working_days: int = 5
    """R8: the law says "without delay"; the programme's target is 5 working days."""
    claim_objection_working_days: int = 10
    """Working days the responsible organisation has to object to a receiving municipality's claim."""
    handover_protection_days: int = 30
    """Days after a change of responsibility during which erasure on request and the end of the
    relationship are refused: whoever just took a client cannot make it vanish."""

    def assessment_due(self, state: ClientState, registered_on: date, *, jobseeker_source: bool) -> date | None:
        if state == "guidance_only":
            return None
        days = INITIAL_INTERVIEW_WORKING_DAYS if jobseeker_source else self.assessment_target_working_days
        return self.working_days.deadline(registered_on, days=days, unit="working")


def _qualifying(groups: Iterable[TargetGroup], under_23: bool) -> tuple[TargetGroup, ...]:
    """R2: an unaccompanied minor or young person counts only under 23."""
    return tuple(g for g in groups if under_23 or g != TargetGroup.UNACCOMPANIED_MINOR)


def _earliest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class OpenClaim:
    """A receiving municipality's claim waiting for the responsible organisation or its deadline."""

    claim_id: UUID
    claimant: Organisation
    municipality: Municipality
    moved_on: date
    deadline: date


@dataclass
class Client:
    id: UUID
    version: int = 0
    home_municipality: Municipality = Municipality.RASEBORG
    languages: tuple[str, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    sources: tuple[RegistrationSource, ...] = ()
    registered_jobseeker: bool = False
    responsible_organisation: Organisation = Organisation.RASEBORG
    luvn_participation_required: bool = False
    state: ClientState = "guidance_only"
    window_ends_on: date | None = None
    assessment_due_on: date | None = None
    relationship_ended_on: date | None = None
    erase_on: date | None = None
    erased: bool = False
    merged_into: UUID | None = None
    open_duplicates: set[UUID] = field(default_factory=set)
    open_claim: OpenClaim | None = None
    responsibility_changed_on: date | None = None
    """The day responsibility last moved (the day it was recorded): starts the handover protection."""
    pending: list[Event] = field(default_factory=list, repr=False, compare=False)

    # --- decisions -------------------------------------------------------------------------------

    @classmethod
    def register(cls, client_id: UUID, registration: sources.AnyRegistration, *, languages: Sequence[str],
                 under_23: bool, today: date, policy: Policy) -> Client:
        groups = sources.target_groups(registration)
        day = sources.registered_on(registration, today)
        ends_on = window_ends_on(registration.first_permit_date)
        eligibility = decide_on_window(_qualifying(groups, under_23), ends_on, today)
        jobseeker = sources.is_jobseeker_registration(registration)
        responsibility = responsible_organisation(jobseeker, registration.home_municipality, today,
                                                  policy.agreements)
        client = cls(client_id)
        client._record(ClientRegistered(
            client_id=client_id, home_municipality=registration.home_municipality,
            languages=tuple(dict.fromkeys(languages)), target_groups=groups, window_ends_on=ends_on,
            source=registration.source, registered_on=day,
            responsible_organisation=responsibility.organisation, responsibility_reason=responsibility.reason,
            registered_jobseeker=jobseeker, luvn_participation_required=luvn_participation_required(groups),
            state=eligibility.state, state_reason=eligibility.reason[0], state_rule=eligibility.reason[1],
            assessment_due_on=policy.assessment_due(eligibility.state, day, jobseeker_source=jobseeker)))
        return client

    def add_source(self, registration: sources.AnyRegistration, *, under_23: bool, today: date,
                   policy: Policy) -> None:
        """One person, one client: another source adds its groups, may move responsibility (R5) and,
        for a jobseeker registration, sets the initial-interview target (R9)."""
        self._check_active()
        groups = tuple(dict.fromkeys([*self.target_groups, *sources.target_groups(registration)]))
        day = sources.registered_on(registration, today)
        earlier_window = window_ends_on(registration.first_permit_date)
        if self.window_ends_on is None or earlier_window < self.window_ends_on:  # the *first* permit decides
            self._record(ClientDetailsChanged(window_ends_on=earlier_window))
        eligibility = self._eligibility(groups, under_23, today)
        jobseeker = sources.is_jobseeker_registration(registration)
        due = policy.assessment_due(eligibility.state, day, jobseeker_source=jobseeker)
        if eligibility.state == "to_be_assessed" and self.state == "to_be_assessed":
            due = _earliest(due, self.assessment_due_on)
        self._record(ClientSourceAdded(
            source=registration.source, registered_on=day, target_groups=groups,
            luvn_participation_required=luvn_participation_required(groups), state=eligibility.state,
            state_reason=eligibility.reason[0], state_rule=eligibility.reason[1], assessment_due_on=due))
        if jobseeker and not self.registered_jobseeker:
            self.change_jobseeker_status(True, on=day, today=today, policy=policy)

    def change_jobseeker_status(self, registered: bool, *, on: date, today: date, policy: Policy) -> None:
        """R5: responsibility moves when jobseeker status changes, at once.

        A status change restores or ends the employment region's own registration: it cannot make
        a client who was never registered as a jobseeker one (that takes a jobseeker registration,
        with the person's details, which adds the source first).
        """
        self._check_active()
        if registered == self.registered_jobseeker:
            raise Unchanged("unchanged.jobseeker_status", "the jobseeker status is already as given")
        if registered and RegistrationSource.EMPLOYMENT_REGION_JOBSEEKER not in self.sources:
            raise Refused("ownership.jobseeker_registration",
                          "the client was never registered as a jobseeker: send a jobseeker registration "
                          "with the person's details instead of a status change")
        self._record(ClientDetailsChanged(registered_jobseeker=registered))
        reason = (ResponsibilityReason.REGISTERED_AS_JOBSEEKER if registered
                  else ResponsibilityReason.NO_LONGER_REGISTERED_JOBSEEKER)
        self._reassign(on, today, policy, reason)

    def move(self, municipality: Municipality, *, on: date, today: date, policy: Policy) -> None:
        """A new home municipality, recorded by the organisation responsible today (the service layer
        checks who): its services (or its agreed provider) take over, unless the employment region
        is responsible (R5). An open claim is thereby decided: accepted if it named this municipality,
        objected to (`moved_elsewhere`) if not, so it cannot take effect later over the recorded move."""
        self._check_active()
        if municipality == self.home_municipality:
            raise Unchanged("unchanged.home_municipality", "the client lives in this municipality already")
        if self.open_claim is not None:  # the move decides the open claim: accepted, or moved elsewhere
            claim = self.open_claim.claim_id
            self._record(ClaimAccepted(claim_id=claim, accepted_by="responsible_organisation")
                         if self.open_claim.municipality == municipality
                         else ClaimObjected(claim_id=claim, reason="moved_elsewhere"))
        self._record(ClientDetailsChanged(home_municipality=municipality))
        self._reassign(on, today, policy, ResponsibilityReason.MOVED_TO_ANOTHER_MUNICIPALITY)

    def claim(self, claimant: Organisation, municipality: Municipality, *, claim_id: UUID, moved_on: date,
              today: date, policy: Policy) -> OpenClaim:
        """The receiving municipality claims a client who moved there. Nothing moves yet: the
        responsible organisation accepts or objects, or the claim takes effect once
        `policy.claim_objection_working_days` working days (R33) pass without an objection."""
        self._check_active()
        if self.open_claim is not None:
            raise Refused("claims.open", "the client has an open claim already; it is decided first")
        if municipality == self.home_municipality:
            raise Unchanged("unchanged.home_municipality", "the client lives in this municipality already")
        if claimant != receiving_organisation(municipality, today, policy.agreements):
            raise Refused("ownership.claim", "only the organisation that serves the new home municipality's "
                                             "residents claims a client who moved there")
        if claimant == self.responsible_organisation:
            raise Refused("claims.already_responsible", "the claimant is responsible already: record the move")
        deadline = policy.working_days.add(today, policy.claim_objection_working_days)
        self._record(ResponsibilityClaimed(claim_id=claim_id, claimant=claimant, home_municipality=municipality,
                                           moved_on=moved_on, objection_deadline=deadline))
        assert self.open_claim is not None
        return self.open_claim

    def accept_claim(self, claim_id: UUID, *, by: Literal["responsible_organisation", "deadline"], today: date,
                     policy: Policy) -> None:
        """The claim takes effect: the move, and the handover it brings (R5)."""
        claim = self._open_claim(claim_id)
        if by == "deadline" and today <= claim.deadline:
            raise Refused("claims.deadline", "the objection period has not ended")
        self._record(ClaimAccepted(claim_id=claim_id, accepted_by=by))
        if claim.municipality != self.home_municipality:
            self._record(ClientDetailsChanged(home_municipality=claim.municipality))
            self._reassign(claim.moved_on, today, policy, ResponsibilityReason.MOVED_TO_ANOTHER_MUNICIPALITY)

    def object_to_claim(self, claim_id: UUID, reason: str) -> None:
        self._open_claim(claim_id)
        self._record(ClaimObjected(claim_id=claim_id, reason=reason))

    def _open_claim(self, claim_id: UUID) -> OpenClaim:
        self._check_active()
        if self.open_claim is None or self.open_claim.claim_id != claim_id:
            raise Refused("claims.open", "the client has no open claim with this id")
        return self.open_claim

    def check_not_just_handed_over(self, today: date, policy: Policy, what: str) -> None:
        """Erasure on request and the end of the relationship wait `policy.handover_protection_days`
        after responsibility moved, so a claim or a registration cannot be followed by a vanishing."""
        if self.responsibility_changed_on is None:
            return
        if today < self.responsibility_changed_on + timedelta(days=policy.handover_protection_days):
            raise Refused("handover.protection", f"responsibility changed less than {policy.handover_protection_days}"
                                                 f" days ago: {what} is refused until then")

    def review_responsibility(self, *, today: date, policy: Policy) -> None:
        """An agreement entered into force or ended: hand over if it changes who is responsible."""
        self._check_active()
        self._reassign(today, today, policy, ResponsibilityReason.SERVICE_AGREEMENT_CHANGED)

    def change_languages(self, languages: Sequence[str]) -> None:
        self._check_active()
        languages = tuple(dict.fromkeys(languages))
        if languages != self.languages:
            self._record(ClientDetailsChanged(languages=languages))

    def flag_possible_duplicate(self, other: UUID, matched_on: str) -> None:
        if other != self.id and other not in self.open_duplicates:
            self._record(PossibleDuplicateFlagged(other_client_id=other, matched_on=matched_on))

    def resolve_duplicate(self, other: UUID, resolution: Literal["merged", "not_duplicate"],
                          surviving: UUID | None) -> None:
        """Record an officer's decision on a flagged pair (the service layer checks the flag is open)."""
        if resolution == "merged" and surviving not in (self.id, other):
            raise Refused("duplicates.survivor", "surviving_client_id must be one of the two clients")
        self._record(DuplicateResolved(other_client_id=other, resolution=resolution, surviving_client_id=surviving))

    def absorb(self, other: Client) -> None:
        """A merged duplicate's target groups and languages join the surviving client's."""
        self._check_active()
        groups = tuple(dict.fromkeys([*self.target_groups, *other.target_groups]))
        languages = tuple(dict.fromkeys([*self.languages, *other.languages]))
        if groups != self.target_groups or languages != self.languages:
            self._record(ClientDetailsChanged(
                target_groups=groups if groups != self.target_groups else None,
                languages=languages if languages != self.languages else None))

    def end_relationship(self, *, ended_on: date, reason: str, today: date, policy: Policy | None = None) -> None:
        """R29: the data is deleted 4 years after the client relationship ends."""
        self._check_active()
        self.check_not_just_handed_over(today, policy or Policy(), "ending the relationship")
        if ended_on > today:
            raise Refused("R29", "ended_on must not be in the future")
        self._record(ClientRelationshipEnded(ended_on=ended_on, reason=reason,
                                             erase_on=years_later(ended_on, RETENTION_YEARS)))

    def erase(self, *, today: date, basis: Literal["client_request", "retention_expired"],
              policy: Policy | None = None) -> None:
        if self.erased:
            return
        if basis == "client_request":
            self.check_not_just_handed_over(today, policy or Policy(), "erasure on request")
        if basis == "retention_expired" and (self.erase_on is None or today < self.erase_on):
            raise Refused("R29", "the retention period has not ended: 4 years after the client relationship ends")
        self._record(ClientErased(erased_on=today, basis=basis))

    def erase_again(self, *, today: date, basis: Literal["client_request", "retention_expired"]) -> bool:
        """Re-apply an erasure that was decided and published before the database was restored from a
        backup: no rule is asked again (it was decided). False when the client is erased already."""
        if self.erased:
            return False
        self._record(ClientErased(erased_on=today, basis=basis))
        return True

    # --- state -----------------------------------------------------------------------------------

    @classmethod
    def from_history(cls, client_id: UUID, events: Iterable[Event], recorded_on: Sequence[date] = ()) -> Client:
        """The client its events left; `recorded_on` (one day per event) says when each was recorded."""
        client = cls(client_id)
        for n, event in enumerate(events):
            client._apply(event)
            if isinstance(event, ResponsibilityAssigned) and n < len(recorded_on):
                client.responsibility_changed_on = recorded_on[n]
            client.version += 1
        return client

    def _record(self, event: Event) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        match event:
            case ClientRegistered():
                self.home_municipality, self.languages = event.home_municipality, tuple(event.languages)
                self.target_groups, self.sources = tuple(event.target_groups), (event.source,)
                self.registered_jobseeker = event.registered_jobseeker
                self.responsible_organisation = event.responsible_organisation
                self.luvn_participation_required = event.luvn_participation_required
                self.state, self.window_ends_on = event.state, event.window_ends_on
                self.assessment_due_on = event.assessment_due_on
            case ClientSourceAdded():
                self.sources = tuple(dict.fromkeys([*self.sources, event.source]))
                self.target_groups = tuple(event.target_groups)
                self.luvn_participation_required = event.luvn_participation_required
                self.state, self.assessment_due_on = event.state, event.assessment_due_on
            case ClientDetailsChanged():
                if event.home_municipality is not None:
                    self.home_municipality = event.home_municipality
                if event.languages is not None:
                    self.languages = tuple(event.languages)
                if event.target_groups is not None:
                    self.target_groups = tuple(event.target_groups)
                if event.window_ends_on is not None:
                    self.window_ends_on = event.window_ends_on
                if event.registered_jobseeker is not None:
                    self.registered_jobseeker = event.registered_jobseeker
            case ResponsibilityAssigned():
                self.responsible_organisation = event.responsible_organisation
                self.responsibility_changed_on = event.effective_on
            case ResponsibilityClaimed():
                self.open_claim = OpenClaim(event.claim_id, event.claimant, event.home_municipality, event.moved_on,
                                            event.objection_deadline)
            case ClaimAccepted() | ClaimObjected():
                self.open_claim = None
            case PossibleDuplicateFlagged():
                self.open_duplicates.add(event.other_client_id)
            case DuplicateResolved():
                self.open_duplicates.discard(event.other_client_id)
                if event.resolution == "merged" and event.surviving_client_id != self.id:
                    self.merged_into = event.surviving_client_id
            case ClientRelationshipEnded():
                self.relationship_ended_on, self.erase_on = event.ended_on, event.erase_on
            case ClientErased():
                self.erased = True

    def _eligibility(self, groups: tuple[TargetGroup, ...], under_23: bool, today: date) -> Eligibility:
        assert self.window_ends_on is not None
        return decide_on_window(_qualifying(groups, under_23), self.window_ends_on, today)

    def _reassign(self, on: date, today: date, policy: Policy, reason: ResponsibilityReason) -> None:
        now_responsible = responsible_organisation(self.registered_jobseeker, self.home_municipality, today,
                                                   policy.agreements).organisation
        if now_responsible != self.responsible_organisation:
            self._record(ResponsibilityAssigned(previous_organisation=self.responsible_organisation,
                                                responsible_organisation=now_responsible, effective_on=on,
                                                reason=reason))
            self.responsibility_changed_on = today

    def _check_active(self) -> None:
        if self.erased:
            raise Refused("R29", "the client's personal data was erased; register the person anew")
        if self.merged_into is not None:
            raise Refused("duplicates.merged", "the client was merged into another; use the surviving client")
