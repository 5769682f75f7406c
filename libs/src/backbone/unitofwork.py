"""The unit of work every service's PostgreSQL adapter builds on, and retrying a command after a conflict.

One transaction per `async with`, rolled back unless committed. Built on the pool, it takes a
connection of its own. Built `on_connection`, it works inside the caller's transaction (the inbox's),
as a savepoint, and leaves the connection to its owner. A subclass attaches its repositories in
`_bind(conn)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Self, TypeVar

import asyncpg
import structlog

from backbone.errors import ConcurrencyError

log = structlog.get_logger()

ATTEMPTS = 5
"""How many times a command runs before a conflict is given up on."""

T = TypeVar("T")


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool | None, *, conn: asyncpg.Connection | None = None) -> None:
        self.pool, self._given = pool, conn

    def _bind(self, conn: asyncpg.Connection) -> None:
        """Attach the service's repositories to the transaction's connection."""

    async def __aenter__(self) -> Self:
        self.conn = self._given or await self.pool.acquire()
        # The inbox's fast pass (`backbone.writebehind`) takes no savepoint: a unit of work that ends
        # without commit there voids the pass, and the batch is applied again with a savepoint each.
        self._deferred = self._given is not None and getattr(self._given, "defers_savepoints", False)
        self._transaction = None if self._deferred else self.conn.transaction()
        if self._transaction is not None:
            await self._transaction.start()
        self._done = False
        self._bind(self.conn)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if not self._done and self._deferred:
                self.conn.spoil("a unit of work ended without commit")
            elif not self._done:
                try:
                    await self._transaction.rollback()
                except Exception:
                    if exc_type is None:
                        raise
                    # The error that ended the work wins over the rollback's: a cancelled query leaves the
                    # connection busy, and its InterfaceError must not swallow the cancellation (a job
                    # would then live on through shutdown). The pool resets or closes the connection.
        finally:
            if self._given is None:
                await self.pool.release(self.conn)

    async def commit(self) -> None:
        if self._transaction is not None:
            await self._transaction.commit()
        self._done = True


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` again when a concurrent writer got there first (the stream moved on, a unique key was
    just taken, two transactions deadlocked or failed to serialise): the next attempt loads the fresh state."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except (ConcurrencyError, asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError,
                asyncpg.SerializationError) as exc:
            if n == ATTEMPTS:
                raise
            log.info("concurrent change, retrying command", attempt=n, error=type(exc).__name__)
    raise AssertionError("unreachable")
