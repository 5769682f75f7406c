"""Checking tokens against the credentials table, with a short-lived cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg
import structlog

from backbone.auth.models import Caller
from backbone.auth.tokens import parse_token, secret_matches

log = structlog.get_logger()


class PoolNotOpen(RuntimeError):
    """The service has not started yet, or has stopped: there is no database to check against."""


Refusal = Literal["malformed", "not recognised", "revoked", "expired"]
_UNAVAILABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, PoolNotOpen)
PoolSource = asyncpg.Pool | Callable[[], asyncpg.Pool | None]


@dataclass(frozen=True)
class _Entry:
    principal: str
    role: str
    secret_hash: bytes
    expires_at: datetime | None
    revoked_at: datetime | None
    fetched_at: float  # time.monotonic()


class Authenticator:
    """Checks tokens against `api_credentials`.

    Each known credential is remembered for `cache_ttl_s` seconds (default 5), so most requests
    need no database round trip: a revocation takes effect within that many seconds. Expiry is
    checked on every request. `last_used_at` is written at most once per `touch_interval_s`
    (default 60) per credential and process. `pool` may be a callable, for pools made at start-up.
    """

    def __init__(self, pool: PoolSource, *, cache_ttl_s: float = 5.0, touch_interval_s: float = 60.0) -> None:
        self._pool = (lambda: pool) if isinstance(pool, asyncpg.Pool) else pool
        self.cache_ttl_s, self.touch_interval_s = cache_ttl_s, touch_interval_s
        self._cache: dict[str, _Entry] = {}
        self._touched: dict[str, float] = {}

    async def authenticate(self, token: str, *, now: datetime) -> Caller | None:
        """The caller, or None for a malformed, unknown, wrong, revoked or expired token."""
        outcome = await self.check(token, now=now)
        return outcome if isinstance(outcome, Caller) else None

    async def check(self, token: str, *, now: datetime) -> Caller | Refusal:
        """The caller, or why not. Revoked and expired are told only to a caller holding the secret."""
        parsed = parse_token(token)
        if parsed is None:
            return "malformed"
        key_id, secret = parsed
        entry = await self._entry(key_id)
        if entry is None or not secret_matches(secret, entry.secret_hash):
            return "not recognised"
        if entry.revoked_at is not None:
            return "revoked"
        if entry.expires_at is not None and now >= entry.expires_at:
            return "expired"
        await self._touch(key_id, now)
        return Caller(entry.principal, entry.role, key_id)

    def _db(self) -> asyncpg.Pool:
        pool = self._pool()
        if pool is None:
            raise PoolNotOpen("the database pool is not open yet: authentication needs a started service")
        return pool

    async def _entry(self, key_id: str) -> _Entry | None:
        cached = self._cache.get(key_id)
        if cached is not None and time.monotonic() - cached.fetched_at < self.cache_ttl_s:
            return cached
        row = await self._db().fetchrow("SELECT principal, role, secret_hash, expires_at, revoked_at "
                                        "FROM api_credentials WHERE key_id = $1", key_id, timeout=5)
        if row is None:  # unknown keys are not remembered: the cache holds at most the table's rows
            self._cache.pop(key_id, None)
            return None
        self._cache[key_id] = entry = _Entry(**row, fetched_at=time.monotonic())
        return entry

    async def _touch(self, key_id: str, now: datetime) -> None:
        last = self._touched.get(key_id)
        if last is not None and time.monotonic() - last < self.touch_interval_s:
            return
        self._touched[key_id] = time.monotonic()
        try:  # bookkeeping only: a failure here must not refuse a valid caller
            await self._db().execute(  # the condition spares rows other processes have just touched
                "UPDATE api_credentials SET last_used_at = $2 WHERE key_id = $1 AND "
                "(last_used_at IS NULL OR last_used_at <= $3)",
                key_id, now, now - timedelta(seconds=self.touch_interval_s), timeout=5)
        except _UNAVAILABLE as exc:
            log.warning("last use of credential not recorded", key_id=key_id, error=type(exc).__name__)
