"""A clock for notifications' tests and benchmark: real time, shifted so that it is 12:00 in Helsinki
when the clock is made, so nothing depends on the hour they run at (no SMS goes 21:00-08:00)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from backbone.clock import FINLAND


class DaytimeClock:
    def __init__(self) -> None:
        real = datetime.now(UTC)
        noon = datetime.combine(real.astimezone(FINLAND).date(), time(12, 0), tzinfo=FINLAND)
        self.offset = noon - real

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
