"""Finnish working days for statutory deadlines (R9, R31, R32, R33). Pure: no I/O, no clock.

Semantics, with the rule each follows:

- R32: a holiday is any Finnish public holiday in the maintained `holidays` calendar, plus
  Christmas Eve (24.12) and Midsummer Eve (the Friday between 19 and 25 June), which are always
  non-working whatever the library lists (0.108 lists both).
- R33: Saturday is a working day only when configured (`saturday_is_working`); the default is
  Monday–Friday. Sunday never is. A holiday is never a working day, on a Saturday either.
- R31 (150/1930 §5): the start day is not counted, and a deadline whose last day is not open for
  action moves to the next day that is. §5 names Saturday among those days, so `deadline` never
  ends on a Saturday, even when Saturdays count as working days (R33 decides only the counting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

SATURDAY, SUNDAY = 5, 6
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def finnish_holidays(year: int) -> frozenset[date]:
    """R32: the year's Finnish public holidays, with Christmas Eve and Midsummer Eve always added."""
    public = holidays.country_holidays("FI", years=year)
    june_19 = date(year, 6, 19)
    midsummer_eve = june_19 + timedelta(days=(4 - june_19.weekday()) % 7)  # the Friday in 19–25 June
    return frozenset(public) | {date(year, 12, 24), midsummer_eve}


@dataclass(frozen=True)
class WorkingDays:
    """A working-day calendar for deadlines; `saturday_is_working` is the open question of R33."""

    saturday_is_working: bool = False

    def is_working_day(self, d: date) -> bool:
        """R32/R33: not Sunday, not a holiday, and not Saturday unless Saturdays are configured to work."""
        if d.weekday() == SUNDAY or (d.weekday() == SATURDAY and not self.saturday_is_working):
            return False
        return d not in finnish_holidays(d.year)

    def add(self, start: date, n: int) -> date:
        """R31: the n-th working day after `start`, the start day itself not counted.

        For n >= 1 the result is strictly after `start`, and exactly n working days lie in
        (start, result]. For n == 0 the result is `start` if it is a working day, else the next
        working day (a zero-day deadline on a non-working day moves forward, as in R31).
        """
        if n < 0:
            raise ValueError(f"n must be at least 0, got {n}")
        day = start
        if n == 0:
            return self._next_working_day_from(day)
        while n:
            day += ONE_DAY
            n -= self.is_working_day(day)
        return day

    def deadline(self, start: date, *, days: int, unit: Literal["working", "calendar"]) -> date:
        """R31: the last day of a deadline of `days` days from `start`, the start day not counted.

        "working": the `days`-th working day after `start` (R9, R33 decide what counts).
        "calendar": `start` + `days`. Either way a last day on a Saturday, Sunday or holiday moves to
        the next weekday that is not a holiday (150/1930 §5, whatever the Saturday setting).
        Month deadlines (R12, R13) are not day counts and are not handled here.
        """
        if days < 0:
            raise ValueError(f"days must be at least 0, got {days}")
        if unit == "working":
            last = self.add(start, days)
        elif unit == "calendar":
            last = start + timedelta(days=days)
        else:
            raise ValueError(f"unit must be 'working' or 'calendar', got {unit!r}")
        return _STATUTORY._next_working_day_from(last)

    def _next_working_day_from(self, day: date) -> date:
        while not self.is_working_day(day):
            day += ONE_DAY
        return day


_STATUTORY = WorkingDays(saturday_is_working=False)
"""R31: the days 150/1930 §5 leaves open for action: Monday–Friday except holidays."""
