"""Clocks: the system's, and a fixed one for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

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
