"""The shared unit of work on a real PostgreSQL: commit, rollback, and a cancellation that stays one."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from backbone.unitofwork import UnitOfWork

pytestmark = pytest.mark.integration


async def test_work_left_without_commit_is_rolled_back(assessment_pool, unique):
    table = f"uow_{unique}"
    async with assessment_pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {table} (n int)")
    try:
        async with UnitOfWork(assessment_pool) as uow:
            await uow.conn.execute(f"INSERT INTO {table} VALUES (1)")
        async with UnitOfWork(assessment_pool) as uow:
            await uow.conn.execute(f"INSERT INTO {table} VALUES (2)")
            await uow.commit()
        assert await assessment_pool.fetchval(f"SELECT array_agg(n) FROM {table}") == [2]
    finally:
        await assessment_pool.execute(f"DROP TABLE {table}")


class BusyRollback:
    """A transaction whose rollback fails as on a connection whose query was just cancelled (after really
    rolling back, so the connection goes back to the pool clean)."""

    def __init__(self, transaction) -> None:
        self.transaction = transaction

    async def rollback(self) -> None:
        await self.transaction.rollback()
        raise asyncpg.InterfaceError("cannot perform operation: another operation is in progress")


async def test_a_failing_rollback_does_not_hide_the_error_that_ended_the_work(assessment_pool):
    with pytest.raises(asyncio.CancelledError):
        async with UnitOfWork(assessment_pool) as uow:
            uow._transaction = BusyRollback(uow._transaction)
            raise asyncio.CancelledError
    assert await assessment_pool.fetchval("SELECT 1") == 1  # the connection went back to the pool


async def test_a_failing_rollback_after_work_that_ended_well_is_raised(assessment_pool):
    with pytest.raises(asyncpg.InterfaceError):
        async with UnitOfWork(assessment_pool) as uow:
            uow._transaction = BusyRollback(uow._transaction)


async def test_a_periodic_job_stops_when_cancelled_even_if_its_clean_up_turns_the_cancellation_into_an_error(
        assessment_pool, unique):
    from backbone.scheduler import run_periodically

    running = asyncio.Event()

    async def job() -> None:
        running.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RuntimeError("clean-up failed while cancelled") from None  # as a busy connection's rollback does

    task = asyncio.create_task(run_periodically(assessment_pool, f"test-job-{unique}", 3600, job))
    await running.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
