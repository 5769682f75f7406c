"""The migration runner on real PostgreSQL."""

from __future__ import annotations

import asyncpg
import pytest

from backbone import db

pytestmark = pytest.mark.integration


async def test_applies_files_in_name_order_once_and_records_them(tmp_path, assessment_pool, unique):
    (tmp_path / "002_add.sql").write_text(f"ALTER TABLE m_{unique} ADD COLUMN b int")
    (tmp_path / "001_create.sql").write_text(f"CREATE TABLE m_{unique} (a int)")
    (tmp_path / "notes.sql").write_text("this is not a migration")

    first = await db.migrate(assessment_pool, tmp_path, prefix=f"t{unique}/")
    again = await db.migrate(assessment_pool, tmp_path, prefix=f"t{unique}/")

    assert first == [f"t{unique}/001_create", f"t{unique}/002_add"]
    assert again == []
    async with assessment_pool.acquire() as conn:
        columns = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                                   "ORDER BY ordinal_position", f"m_{unique}")
    assert [c["column_name"] for c in columns] == ["a", "b"]


async def test_a_failing_migration_leaves_nothing_of_itself_and_is_retried_next_time(
        tmp_path, assessment_pool, unique):
    (tmp_path / "001_ok.sql").write_text(f"CREATE TABLE ok_{unique} (a int)")
    (tmp_path / "002_broken.sql").write_text(f"CREATE TABLE half_{unique} (a int); SELECT no_such_function()")

    with pytest.raises(asyncpg.UndefinedFunctionError):
        await db.migrate(assessment_pool, tmp_path, prefix=f"t{unique}/")

    async with assessment_pool.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass($1)", f"half_{unique}") is None
        assert await conn.fetchval("SELECT to_regclass($1)", f"ok_{unique}") is not None
    (tmp_path / "002_broken.sql").write_text(f"CREATE TABLE half_{unique} (a int)")
    assert await db.migrate(assessment_pool, tmp_path, prefix=f"t{unique}/") == [f"t{unique}/002_broken"]
