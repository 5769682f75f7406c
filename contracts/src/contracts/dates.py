"""The plausible range of every date and time the system accepts, in one place.

A date outside its range is refused at the edge (HTTP body, ingress message) with an error naming
the field, never the value, before any arithmetic on it: three years after 9999-12-31 does not
exist, and a decision dated 2999 is a typing error, not a fact. Bounds are Finnish calendar days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

FINLAND = ZoneInfo("Europe/Helsinki")

EARLIEST_FACT = date(2000, 1, 1)
"""No fact the programme acts on (a permit, a decision, a registration, a consent) predates 2000."""
EARLIEST_BIRTH = date(1900, 1, 1)
"""Nobody the services reach was born before 1900."""
CLOCK_TOLERANCE = timedelta(days=1)
"""A sender's day may run ahead of ours around midnight; a day's tolerance, no more."""
PLANNED_AHEAD = timedelta(days=366)
"""How far ahead an announced placement or move-in may be dated."""
SENT_AT_TOLERANCE = timedelta(hours=1)
"""How far ahead of our clock a message may say it was sent."""


def today_in_finland() -> date:
    return datetime.now(FINLAND).date()


def _range(earliest: date, ahead: timedelta) -> Callable[[date], date]:
    def check(day: date) -> date:
        if day < earliest:
            raise ValueError(f"must not be before {earliest.isoformat()}")
        if day > today_in_finland() + ahead:
            raise ValueError("must not be in the future" if ahead <= CLOCK_TOLERANCE
                             else f"must not be more than {ahead.days} days ahead")
        return day
    return check


def _sent_at(moment: datetime) -> datetime:
    if moment < datetime(EARLIEST_FACT.year, 1, 1, tzinfo=UTC):
        raise ValueError(f"must not be before {EARLIEST_FACT.isoformat()}")
    if moment > datetime.now(UTC) + SENT_AT_TOLERANCE:
        raise ValueError("must not be in the future")
    return moment


PastDay = Annotated[date, AfterValidator(_range(EARLIEST_FACT, CLOCK_TOLERANCE))]
"""A day something happened: 2000-01-01 to today (a permit, a decision, a consent, a status change)."""
PlannedDay = Annotated[date, AfterValidator(_range(EARLIEST_FACT, PLANNED_AHEAD))]
"""A day that may be announced ahead (a placement, a move-in): 2000-01-01 to a year from today."""
BirthDate = Annotated[date, AfterValidator(_range(EARLIEST_BIRTH, CLOCK_TOLERANCE))]
"""A birth date: 1900-01-01 to today."""
SentAt = Annotated[AwareDatetime, AfterValidator(_sent_at)]
"""When a message was sent: from 2000 to an hour ahead of our clock."""
