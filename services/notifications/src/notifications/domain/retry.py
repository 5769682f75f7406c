"""When a failed attempt is tried again: exponential backoff, final past the horizon or when permanent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 30.0
    max_s: float = 3600.0
    horizon_s: float = 48 * 3600.0

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: base, 2×base, 4×base, … capped at max."""
        return timedelta(seconds=min(self.base_s * 2 ** max(attempts - 1, 0), self.max_s))

    def next_attempt(self, *, attempts: int, queued_at: datetime, now: datetime, permanent: bool) -> datetime | None:
        """The moment of the next attempt, or None when the failure is final."""
        if permanent:
            return None
        at = now + self.delay(attempts)
        return None if at > queued_at + timedelta(seconds=self.horizon_s) else at
