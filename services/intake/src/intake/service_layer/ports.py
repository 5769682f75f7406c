"""What the service layer needs from outside: the time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol


class Clock(Protocol):
    """The time: `now()` is timezone-aware; `today()` is the date in Finland."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...
