"""Sample consumer lag into `lag_samples` periodically, for the chart of the last hour."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from audit.adapters import console_store
from audit.adapters.kafka_lag import PartitionLag, read_lag

log = structlog.get_logger()
_LOCK = 0x61756474  # advisory lock: with two audit instances, one samples at a time


async def sample(pool: asyncpg.Pool, lags: list[PartitionLag], now: datetime, *, interval_s: float,
                 keep: timedelta) -> bool:
    """Store one sample, unless another instance stored one less than half an interval ago."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK):
            return False
        last = await console_store.last_lag_sample(conn)
        if last is not None and now - last < timedelta(seconds=interval_s / 2):
            return False
        await console_store.store_lag(conn, now, [(p.group_id, p.topic, p.partition, p.committed, p.end_offset, p.lag)
                                                  for p in lags], now - keep)
        return True


async def run(pool: asyncpg.Pool, kafka: dict[str, Any], interval_s: float, keep: timedelta) -> None:
    while True:
        try:
            await sample(pool, await read_lag(kafka), datetime.now(UTC), interval_s=interval_s, keep=keep)
        except Exception as exc:  # noqa: BLE001 - Kafka or database away: the next round tries again
            log.warning("consumer lag not sampled this time", error=type(exc).__name__)
        await asyncio.sleep(interval_s)
