"""Periodic jobs (deadline checks, retention) that stay correct with several instances running.

Each round takes a session-level PostgreSQL advisory lock named after the job, so two instances of a
service never run the same job at once; the job itself must still be idempotent (it records what it
did, e.g. one `DeadlineMissed` per deadline), because the other instance runs it right after. A job
that fails is logged by its type only and tried again next round. Jobs take their clock from the
caller, so tests run them at any date with `backbone.clock.FixedClock`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger()

LOCK_CLASS = 0x5C4E
"""The first key of the two-key advisory lock; the event store's per-client locks use the one-key form."""

Job = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Scheduled:
    """A job a service runs every `interval_s` seconds (`create_service_app(..., jobs=[...])`)."""

    name: str
    interval_s: float
    run: Job


async def run_once(pool: asyncpg.Pool, name: str, job: Job) -> bool:
    """Run `job` if no other instance is running it; True if it ran here."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", LOCK_CLASS, name):
            return False
        try:
            await job()
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", LOCK_CLASS, name)
    return True


async def run_periodically(pool: asyncpg.Pool, name: str, interval_s: float, job: Job) -> None:
    """Run `job` every `interval_s` seconds until cancelled; failures are logged and retried next round."""
    while True:
        try:
            await run_once(pool, name, job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next round tries again; the error is logged
            log.error("scheduled job failed", job=name, error=type(exc).__name__)
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # the job's clean-up turned the cancellation into an
                raise asyncio.CancelledError from exc  # error (a busy connection): stop all the same
        await asyncio.sleep(interval_s)
