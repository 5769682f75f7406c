"""Short-lived credentials for a demo seeder (`make run`): issued in the service's own database, revoked when
the seeder is done, so they never pile up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg

from backbone.auth.store import issue, revoke
from backbone.auth.tokens import parse_token

T = TypeVar("T")

LABEL = "demo seeder"


async def with_connection(database_url: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    conn = await asyncpg.connect(database_url)
    try:
        return await work(conn)
    finally:
        await conn.close()


async def issue_tokens(conn: asyncpg.Connection, grants: Iterable[tuple[str, str]]) -> dict[str, str]:
    """One-hour tokens, one per (principal, role), keyed by principal."""
    now = datetime.now(UTC)
    tokens = {}
    for principal, role in grants:
        issued = await issue(conn, principal=principal, role=role, label=LABEL, now=now,
                             expires_at=now + timedelta(hours=1))
        tokens[principal] = issued.token
    return tokens


async def revoke_tokens(conn: asyncpg.Connection, tokens: dict[str, str]) -> None:
    for token in tokens.values():
        key_id, _ = parse_token(token)
        await revoke(conn, key_id, now=datetime.now(UTC))
