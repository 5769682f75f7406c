"""Which events send which message: the rules, as data.

A row says: on an event of `event_type` whose fields match `when`, queue the template `template`
for the event's client, on the first of `channels` the client can be reached on and has not
opted out of, with `params` (event fields: codes, dates, times) for the template, sent now or at a
moment derived from the event (`schedule`). `subject` names the event field the message is about
(an interview, a plan, a referral): a later event of a type in `cancelled_by` with the same subject
(or, without a subject, any such event of the client) cancels the message while it still waits.

To add a message: add a row here and a template folder in `notifications/templates/` with at least
`sv.toml`, `fi.toml` and `en.toml` (a test checks both). Events other services add later need only
a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from backbone.workdays import WorkingDays
from notifications.domain.quiet_hours import HELSINKI

Channel = Literal["email", "sms", "letter"]
NEWCOMER_NOTICE = "municipal_newcomer_notice"
OWN_REQUEST = "own_request"


@dataclass(frozen=True)
class Now:
    """Send as soon as the event is handled."""

    def not_before(self, event: Any, received: datetime) -> datetime | None:
        return received


@dataclass(frozen=True)
class WorkingDayBefore:
    """At `at` local time on the working day before the day of the event field `field` (a datetime).

    None (no message) when that moment has already passed when the event arrives: the invitation
    itself has just gone out.
    """

    field: str
    at: time = time(10, 0)
    calendar: WorkingDays = field(default_factory=WorkingDays)

    def not_before(self, event: Any, received: datetime) -> datetime | None:
        day = getattr(event, self.field).astimezone(HELSINKI).date() - timedelta(days=1)
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        moment = datetime.combine(day, self.at, tzinfo=HELSINKI)
        return moment if moment > received else None


@dataclass(frozen=True)
class DaysBefore:
    """At `at` local time `days` calendar days before the date in event field `field`, or now if
    that day has passed (but never once the date itself has passed)."""

    field: str
    days: int
    at: time = time(10, 0)

    def not_before(self, event: Any, received: datetime) -> datetime | None:
        target: date = getattr(event, self.field)
        if target < received.astimezone(HELSINKI).date():
            return None
        return max(datetime.combine(target - timedelta(days=self.days), self.at, tzinfo=HELSINKI), received)


Schedule = Now | WorkingDayBefore | DaysBefore


@dataclass(frozen=True)
class Trigger:
    event_type: str
    template: str
    channels: tuple[Channel, ...]
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    params: tuple[str, ...] = ()
    schedule: Schedule = Now()
    subject: str | None = None
    cancelled_by: tuple[str, ...] = ()

    def matches(self, event_type: str, event: Any) -> bool:
        if event_type != self.event_type:
            return False
        return all(str(getattr(event, name, None)) in allowed for name, allowed in self.when.items())


TRIGGERS: tuple[Trigger, ...] = (
    # Programme §3: the municipal welcome letter, by e-mail where an address is known, else on paper.
    Trigger("ClientRegistered", "welcome", ("email", "letter"), when={"source": frozenset({NEWCOMER_NOTICE})},
            params=("home_municipality",)),
    Trigger("ClientSourceAdded", "welcome", ("email", "letter"), when={"source": frozenset({NEWCOMER_NOTICE})}),
    # The person's own request (the public contact form): we heard you, and what happens next.
    Trigger("ClientRegistered", "contact_acknowledgement", ("email", "sms"),
            when={"source": frozenset({OWN_REQUEST})}, params=("assessment_due_on",)),
    Trigger("ClientSourceAdded", "contact_acknowledgement", ("email", "sms"),
            when={"source": frozenset({OWN_REQUEST})}, params=("assessment_due_on",)),
    # R26: at booking the client is told the time, the place, the interpreter and how to cancel.
    Trigger("InitialInterviewScheduled", "interview_invitation", ("sms", "email", "letter"),
            params=("scheduled_at", "place", "interpreter", "language"), subject="interview_id"),
    Trigger("InitialInterviewScheduled", "interview_reminder", ("sms", "email"),
            params=("scheduled_at", "place", "interpreter"), schedule=WorkingDayBefore("scheduled_at"),
            subject="interview_id"),
    # The plan (R14) and its reviews (R13: at least every 6 months).
    Trigger("PlanIssued", "plan_issued", ("email", "sms", "letter"), params=("starts_on", "ends_on")),
    Trigger("PlanExtended", "plan_extended", ("email", "sms", "letter"), params=("until",)),
    Trigger("DeadlineMissed", "plan_review_due", ("email", "sms"), when={"deadline": frozenset({"plan_review"})},
            params=("due_on",)),
    # Referrals (R12, R20), with the course start when the provider knows it.
    Trigger("ReferralMade", "referral_made", ("email", "sms"), params=("service_code", "referred_on"),
            subject="referral_id"),
    Trigger("ReferralAccepted", "referral_accepted", ("email", "sms"), params=("starts_on",),
            subject="referral_id"),
    Trigger("ReferralWaitlisted", "referral_waitlisted", ("email", "sms"),
            params=("queue_position", "expected_start"), subject="referral_id"),
    # Deadlines that concern the client: the last day for a plan (R11), 60 days ahead, unless a plan came.
    Trigger("ClientRegistered", "plan_window_ending", ("email", "sms"),
            when={"state": frozenset({"to_be_assessed"})}, params=("window_ends_on",),
            schedule=DaysBefore("window_ends_on", 60), cancelled_by=("PlanIssued",)),
)


def triggered(event_type: str, event: Any, table: tuple[Trigger, ...] = TRIGGERS) -> list[Trigger]:
    return [t for t in table if t.matches(event_type, event)]


def cancellations(event_type: str, table: tuple[Trigger, ...] = TRIGGERS) -> list[Trigger]:
    """The rows whose waiting messages an event of `event_type` cancels."""
    return [t for t in table if event_type in t.cancelled_by]
