"""Clocks: the system's, and a fixed one for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from contracts.dates import FINLAND, PastDay, today_in_finland

__all__ = ["FINLAND", "Clock", "FixedClock", "Past", "SystemClock", "today_in_finland"]


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


Past = PastDay
"""A date in a request body for a day something happened: not in the future, not before contracts.dates'
earliest plausible day."""
