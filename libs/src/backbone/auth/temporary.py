"""Short-lived credentials a seeder issues itself in a service's database and revokes when it is done
(`make run`'s demo data), so demo tokens never pile up or outlive the run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg

from backbone.auth.store import issue, revoke
from backbone.auth.tokens import parse_token

T = TypeVar("T")


async def issue_temporary(conn: asyncpg.Connection, principals: Iterable[str], *, role: str, label: str,
                          hours: float = 1) -> dict[str, str]:
    """One token per principal in `role`, expiring after `hours`: {principal: token}. The service must have
    migrated its database (its credentials table) already."""
    now = datetime.now(UTC)
    tokens = {}
    for principal in principals:
        issued = await issue(conn, principal=principal, role=role, label=label, now=now,
                             expires_at=now + timedelta(hours=hours))
        tokens[principal] = issued.token
    return tokens


async def revoke_temporary(conn: asyncpg.Connection, tokens: dict[str, str]) -> None:
    """Revoke what `issue_temporary` issued."""
    for token in tokens.values():
        parsed = parse_token(token)
        if parsed is not None:
            await revoke(conn, parsed[0], now=datetime.now(UTC))


async def with_connection(database_url: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """`work` on a connection of its own to `database_url`, closed afterwards."""
    conn = await asyncpg.connect(database_url)
    try:
        return await work(conn)
    finally:
        await conn.close()
