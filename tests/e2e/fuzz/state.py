"""Every service's state as one comparable value: for each table of its database, the row count and a
digest of every row. Taken before and after a series of requests that must all be refused.

Left out are the tables that change by design while requests are refused or only read: the credentials
table (each use stamps `last_used_at`), intake's vault access log (a read of personal data is logged,
and that is the point), the console's lag samples and the migrations' own record."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from contracts.topics import SERVICES

VOLATILE = {"api_credentials", "vault_access_log", "lag_samples", "schema_migrations"}

MOVES_ON_ITS_OWN = {"notifications": {"notifications", "event_store", "event_store_cursor"}}
"""Tables a service's own loop keeps writing with no request: notifications' sender leases, sends, retries and
records each attempt as an event (SMS wait for 08:00 Helsinki time). What notifications' API writes besides
(opt-outs) is still compared; a refused delivery receipt is checked by its answer."""


async def _service_state(infra, service: str) -> dict[str, tuple[int, str]]:
    conn = await asyncpg.connect(infra.dsn(service))
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        state = {}
        for table in tables:
            if table in VOLATILE or table in MOVES_ON_ITS_OWN.get(service, ()):
                continue
            row = await conn.fetchrow(
                f'SELECT count(*) AS n, md5(coalesce(string_agg(md5(t::text), \'\' ORDER BY md5(t::text)), \'\')) '
                f'AS digest FROM "{table}" AS t')
            state[table] = (row["n"], row["digest"])
        return state
    finally:
        await conn.close()


def snapshot(infra, services: tuple[str, ...] = SERVICES) -> dict[str, dict[str, tuple[int, str]]]:
    async def take():
        return {s: await _service_state(infra, s) for s in services}
    return asyncio.run(take())


def settled(infra, services: tuple[str, ...] = SERVICES, *, quiet_s: float = 3, timeout: float = 120):
    """A snapshot once the state stopped changing for `quiet_s` (consumers caught up, jobs done)."""
    deadline = time.monotonic() + timeout
    last = snapshot(infra, services)
    while True:
        time.sleep(quiet_s)
        now = snapshot(infra, services)
        if now == last:
            return now
        assert time.monotonic() < deadline, f"the services' state still changes after {timeout} s: {changes(last, now)}"
        last = now


def changes(before, after) -> list[str]:
    """Which tables differ, as `service.table: rows before -> after`."""
    out = []
    for service in sorted(set(before) | set(after)):
        b, a = before.get(service, {}), after.get(service, {})
        for table in sorted(set(b) | set(a)):
            if b.get(table) != a.get(table):
                out.append(f"{service}.{table}: {b.get(table, (0,))[0]} -> {a.get(table, (0,))[0]} rows")
    return out
