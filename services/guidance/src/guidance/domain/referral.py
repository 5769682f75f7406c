"""A referral to a catalogue service and its lifecycle; the rules a referral must meet. Pure.

States: made → accepted or waitlisted (by the provider, into a start) → started → completed; or
rejected by the provider; or cancelled; `overdue` marks a referral stuck without changing its state.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from uuid import UUID

from backbone.workdays import WorkingDays
from contracts.events.base import Event
from contracts.events.guidance import (
    CancellationReason,
    LanguageLevel,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralMade,
    ReferralOutcome,
    ReferralOverdue,
    ReferralQueueMoved,
    ReferralRejected,
    ReferralStarted,
    ReferralWaitlisted,
    RejectionReason,
    ServiceKind,
)
from guidance.domain.catalogue import VOLUNTARY_STUDIES, Service, available, swedish_training_offers
from guidance.domain.errors import Refused

REFERRAL_EVENT_TYPES: frozenset[str] = frozenset(e.TYPE for e in (
    ReferralMade, ReferralAccepted, ReferralWaitlisted, ReferralQueueMoved, ReferralStarted, ReferralCompleted,
    ReferralRejected, ReferralCancelled, ReferralOverdue))
"""The events of a referral's own stream."""

State = Literal["made", "waitlisted", "accepted", "started", "completed", "rejected", "cancelled"]
OPEN: frozenset[str] = frozenset({"made", "waitlisted", "accepted", "started"})
HOLDS_A_PLACE: frozenset[str] = frozenset({"accepted", "started"})
SWEDISH, FINNISH = "sv", "fi"


@dataclass(frozen=True)
class ClientFacts:
    """What guidance knows of a client (from intake's events): enough to judge a referral or a visit."""

    client_id: UUID
    responsible_organisation: str
    languages: tuple[str, ...]
    registered_jobseeker: bool
    state: str
    erased: bool = False


@dataclass(frozen=True)
class PlanFacts:
    """A plan as planning published it."""

    plan_id: UUID
    client_id: UUID
    responsible_organisation: str
    drawn_up_on: date
    ends_on: date
    ended_on: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.ended_on is None or on < self.ended_on) and on <= self.ends_on


# --- R12 -------------------------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31.1 → 28/29.2)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def r12_due_on(drawn_up_on: date, calendar_: WorkingDays) -> date:
    """R12: the last day to refer to the plan's services, one month after the plan was drawn up; a last
    day that is not a working day moves to the next one (R31)."""
    return calendar_.deadline(add_months(drawn_up_on, 1), days=0, unit="calendar")


# --- whom and what a referral may name -------------------------------------------------------------------------

def check_referral(client: ClientFacts, service: Service, *, language: str, plan: PlanFacts | None,
                   referrer: str, agreed: bool, on: date, catalogue: Sequence[Service]) -> None:
    """Refuse a referral that does not fit: ownership, plan, availability, language, group, agreement."""
    if referrer != client.responsible_organisation:
        raise Refused("ownership.client", f"only the client's responsible organisation "
                                          f"({client.responsible_organisation}) refers the client")
    if plan is not None:
        if plan.client_id != client.client_id:
            raise Refused("referral.plan", "plan_id: not a plan of this client")
        if not plan.in_force(on):
            raise Refused("referral.plan", "plan_id: the plan is not in force")
    if not available(service, on):
        raise Refused("catalogue.unavailable", "service_code: the service is not offered on this day")
    check_language(client, service, language, on, catalogue)
    check_group(client, service, plan, on)
    if service.kind in VOLUNTARY_STUDIES and client.registered_jobseeker and not agreed:
        raise Refused("R22", "service_code: a registered jobseeker starts voluntary studies only after agreeing "
                             "with the employment region (programme §4.5); record its agreement first")


def check_language(client: ClientFacts, service: Service, language: str, on: date,
                   catalogue: Sequence[Service]) -> None:
    """The referral's language is one the service is given in. Civic orientation is in a language the
    client understands (R21); a client who asks for integration training in Swedish is offered it."""
    if language not in service.languages:
        if service.kind == ServiceKind.INTEGRATION_TRAINING and language == SWEDISH:
            offers = ", ".join(swedish_training_offers(catalogue, on)) or "none in the catalogue"
            raise Refused("programme.swedish_training", f"language: this training is not given in Swedish; "
                                                        f"integration training in Swedish: {offers}")
        raise Refused("referral.language", "language: the service is not given in this language")
    if service.kind == ServiceKind.CIVIC_ORIENTATION and language not in client.languages:
        raise Refused("R21", "language: civic orientation is given in a language the client understands")


def check_group(client: ClientFacts, service: Service, plan: PlanFacts | None, on: date) -> None:
    """The client belongs to one of the groups the service is for; `everyone` includes people who are
    offered guidance only (R1)."""
    fits = {
        "everyone": True,
        "jobseekers": client.registered_jobseeker,
        "outside_labour_market": not client.registered_jobseeker,
        "plan_clients": plan is not None and plan.in_force(on),
    }
    if not any(fits[a.value] for a in service.audiences):
        raise Refused("referral.group", "service_code: the service is not for the client's group "
                                        f"({', '.join(a.value for a in service.audiences)})")


# --- the referral ----------------------------------------------------------------------------------------------

@dataclass
class Referral:
    """One referral, rebuilt from its events; new events wait in `pending`."""

    referral_id: UUID
    client_id: UUID
    service_code: str = ""
    provider_code: str = ""
    kind: str = ""
    plan_id: UUID | None = None
    language: str = ""
    state: State = "made"
    starts_on: date | None = None
    queue_position: int | None = None
    overdue: frozenset[str] = frozenset()
    version: int = 0
    pending: list[Event] = field(default_factory=list)

    @classmethod
    def make(cls, referral_id: UUID, client_id: UUID, service: Service, *, plan_id: UUID | None, language: str,
             on: date) -> Referral:
        referral = cls(referral_id, client_id, kind=service.kind.value)
        referral._record(ReferralMade(referral_id=referral_id, plan_id=plan_id, service_code=service.service_code,
                                      provider_code=service.provider_code, referred_on=on, language=language))
        return referral

    @classmethod
    def from_history(cls, referral_id: UUID, client_id: UUID, kind: str, events: Sequence[Event]) -> Referral:
        referral = cls(referral_id, client_id, kind=kind)
        for event in events:
            referral.when(event)
        return referral

    def when(self, event: Event) -> None:
        """Apply one recorded event of the referral (`from_history`; a rebuild of `referrals` applies them one
        by one, `service_layer.projection`). Not one of a referral's events: `ValueError`."""
        if event.TYPE not in REFERRAL_EVENT_TYPES:
            raise ValueError(f"{event.TYPE} is not an event of a referral")
        self._apply(event)
        self.version += 1

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def _record(self, event: Event) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        match event:
            case ReferralMade():
                self.service_code, self.provider_code = event.service_code, event.provider_code
                self.plan_id, self.language, self.state = event.plan_id, event.language, "made"
            case ReferralAccepted():
                self.state, self.starts_on, self.queue_position = "accepted", event.starts_on, None
            case ReferralWaitlisted():
                self.state, self.starts_on, self.queue_position = "waitlisted", event.starts_on, event.queue_position
            case ReferralQueueMoved():
                self.queue_position = event.queue_position
            case ReferralStarted():
                self.state = "started"
            case ReferralCompleted():
                self.state = "completed"
            case ReferralRejected():
                self.state = "rejected"
            case ReferralCancelled():
                self.state, self.queue_position = "cancelled", None
            case ReferralOverdue():
                self.overdue = self.overdue | {event.kind}

    def _require(self, allowed: set[str], what: str) -> None:
        if self.state not in allowed:
            raise Refused("referral.state", f"referral: a {self.state} referral cannot be {what}")

    def answer(self, *, on: date, starts_on: date | None, queue_position: int | None,
               expected: date | None) -> None:
        """The provider's answer: a place (accepted) or, when the start is full, the queue (waitlisted)."""
        self._require({"made"}, "accepted")
        if queue_position is None:
            self._record(ReferralAccepted(referral_id=self.referral_id, accepted_on=on, starts_on=starts_on))
        else:
            self._record(ReferralWaitlisted(referral_id=self.referral_id, waitlisted_on=on, starts_on=starts_on,
                                            queue_position=queue_position, expected_start=expected))

    def promote(self, *, on: date) -> None:
        """A place became free in the start this referral waits for."""
        self._require({"waitlisted"}, "given a place")
        self._record(ReferralAccepted(referral_id=self.referral_id, accepted_on=on, starts_on=self.starts_on))

    def move_up(self, *, on: date, queue_position: int, expected: date | None) -> None:
        if self.state == "waitlisted" and queue_position != self.queue_position:
            self._record(ReferralQueueMoved(referral_id=self.referral_id, moved_on=on, queue_position=queue_position,
                                            expected_start=expected))

    def start(self, *, on: date) -> None:
        self._require({"accepted"}, "started")
        self._record(ReferralStarted(referral_id=self.referral_id, started_on=on))

    def complete(self, *, on: date, outcome: ReferralOutcome, level: LanguageLevel | None) -> None:
        """R22: integration training ends in the final language test, so a completed one records its level."""
        self._require({"started"}, "completed")
        if self.kind == ServiceKind.INTEGRATION_TRAINING and outcome == ReferralOutcome.COMPLETED and level is None:
            raise Refused("R22", "language_level: completed integration training records the final language "
                                 "test's level")
        if level is not None and self.kind != ServiceKind.INTEGRATION_TRAINING:
            raise Refused("referral.language_level", "language_level: only integration training records a "
                                                     "final language test")
        self._record(ReferralCompleted(referral_id=self.referral_id, completed_on=on, outcome=outcome,
                                       language_level=level))

    def reject(self, *, on: date, reason: RejectionReason) -> None:
        self._require({"made", "waitlisted"}, "rejected")
        self._record(ReferralRejected(referral_id=self.referral_id, rejected_on=on, reason=reason))

    def cancel(self, *, on: date, reason: CancellationReason, by: Literal["officer", "provider", "system"]) -> None:
        self._require(set(OPEN), "cancelled")
        self._record(ReferralCancelled(referral_id=self.referral_id, cancelled_on=on, reason=reason, cancelled_by=by))

    def mark_overdue(self, kind: Literal["no_answer", "not_started"], due_on: date) -> None:
        """Once per kind: the provider did not answer in time, or the start passed without a start (R23)."""
        if kind in self.overdue:
            return
        wanted = {"no_answer": {"made"}, "not_started": {"accepted"}}[kind]
        if self.state in wanted:
            self._record(ReferralOverdue(referral_id=self.referral_id, kind=kind, due_on=due_on))
