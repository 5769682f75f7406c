"""Clocks: the system's, and a fixed one for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

FINLAND = ZoneInfo("Europe/Helsinki")


def today_in_finland() -> date:
    """The calendar day in Finland now; registration days and deadlines are Finnish dates."""
    return datetime.now(FINLAND).date()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return today_in_finland()


@dataclass(frozen=True)
class FixedClock:
    """Always the same moment; `today()` is that moment's date in Finland."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.astimezone(FINLAND).date()


class Clock(Protocol):
    """What services read the time through: `now()` is timezone-aware; `today()` is the date in Finland."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


def _not_in_future(day: date) -> date:
    if day > today_in_finland():
        raise ValueError("must not be in the future")
    return day


Past = Annotated[date, AfterValidator(_not_in_future)]
"""A date in a request body that must not lie after today in Finland (a day something happened)."""
