"""What the handlers need: the database, the clock, the clients' keys and the deadlines' settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from backbone.clientkeys import ClientKeys
from backbone.clock import FixedClock, SystemClock
from backbone.workdays import WorkingDays


@dataclass(frozen=True)
class Deps:
    pool: Callable[[], asyncpg.Pool]
    clock: SystemClock | FixedClock
    keys: ClientKeys
    calendar: WorkingDays
    answer_working_days: int = 10
    """A provider answers a referral within this many working days, or it is overdue (`no_answer`)."""
    start_grace_working_days: int = 5
    """A person accepted to a start has started within this many working days of it, or it is overdue."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool().acquire() as conn, conn.transaction():
            yield conn


@dataclass(frozen=True)
class Outcome:
    """What a command did, in ids only, with advice that did not refuse it."""

    subject_id: UUID
    event_ids: tuple[UUID, ...]
    correlation_id: UUID
    warnings: tuple[dict[str, str], ...] = ()
