"""One transaction per command, and retrying a command that lost a race: shared by the services.

A service subclasses `UnitOfWork` and binds its repositories to the connection in `bind`. Built on the
pool, a unit of work takes a connection of its own; built `on_connection`, it works inside the caller's
transaction (the inbox's) as a savepoint and leaves the connection to its owner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

import asyncpg
import structlog

from backbone.errors import ConcurrencyError

log = structlog.get_logger()

ATTEMPTS = 5

T = TypeVar("T")


async def retrying(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run `attempt` again when a concurrent writer got there first (the stream moved on, or a unique key was
    just taken): the next attempt loads the fresh state."""
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except (ConcurrencyError, asyncpg.UniqueViolationError):
            if n == attempts:
                raise
            log.info("concurrent change, retrying command", attempt=n)
    raise AssertionError("unreachable")


class UnitOfWork:
    """One transaction per `async with`, rolled back unless committed."""

    def __init__(self, pool: asyncpg.Pool | None, keys: Any, *, conn: asyncpg.Connection | None = None) -> None:
        self.pool, self.keys, self._given = pool, keys, conn

    @classmethod
    def on_connection(cls, conn: asyncpg.Connection, keys: Any) -> Self:
        return cls(None, keys, conn=conn)

    def bind(self, conn: asyncpg.Connection) -> None:
        """Set the repositories on `conn`; subclasses override."""

    async def __aenter__(self) -> Self:
        self._conn = self._given or await self.pool.acquire()
        self._transaction = self._conn.transaction()
        await self._transaction.start()
        self._done = False
        self.bind(self._conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if not self._done:
                await self._transaction.rollback()
        finally:
            if self._given is None:
                await self.pool.release(self._conn)

    async def commit(self) -> None:
        await self._transaction.commit()
        self._done = True
