"""A clock for notifications' tests and benchmark: real time, shifted so that it is 12:00 in Helsinki
when the clock is made, so nothing depends on the hour they run at (no SMS goes 21:00-08:00)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from backbone.clock import FINLAND


class DaytimeClock:
    """`offset` given: the same shift as another clock's (another process's), so both agree on the time."""

    def __init__(self, offset: timedelta | None = None) -> None:
        real = datetime.now(UTC)
        noon = datetime.combine(real.astimezone(FINLAND).date(), time(12, 0), tzinfo=FINLAND)
        self.offset = noon - real if offset is None else offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
