"""asyncpg pool with start-up retry, and a migration runner for each service's SQL files."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger()

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
MIGRATION_LOCK = 7_214_001  # advisory lock id: one migrator at a time per database


async def create_pool(dsn: str, *, max_size: int = 10, timeout: float = 60.0) -> asyncpg.Pool:
    """Connect, retrying with backoff while the server starts (transient), up to `timeout`."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        try:
            return await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, timeout=5)
        except (OSError, asyncpg.CannotConnectNowError, asyncio.TimeoutError) as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database not reachable yet, retrying", error=type(exc).__name__, delay_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def migration_files(folder: Path) -> list[Path]:
    """`NNN_name.sql` files, applied in name order."""
    return sorted(p for p in folder.glob("*.sql") if p.name[:3].isdigit())


async def migrate(pool: asyncpg.Pool, folder: Path, *, prefix: str = "") -> list[str]:
    """Apply the files not yet applied, each in its own transaction; returns the versions applied.

    `prefix` keeps the versions of different folders (the runtime's, the service's) apart.
    """
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await conn.execute(MIGRATIONS_TABLE)
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for path in migration_files(folder):
                version = prefix + path.stem
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
                log.info("migration applied", version=version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied
