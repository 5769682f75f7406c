"""The trail on real PostgreSQL: appends chain up, tampering is named, the service role cannot rewrite."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from audit.service_layer.trail import record_event, verify_trail

from .conftest import entry

pytestmark = pytest.mark.integration


async def append(trail_db, n: int) -> list:
    records = []
    for i in range(n):
        async with trail_db.pool.acquire() as conn, conn.transaction():
            records.append(await record_event(conn, entry(offset=i)))
    return records


async def verify(trail_db):
    async with trail_db.pool.acquire() as conn:
        return await verify_trail(conn)


async def as_superuser(trail_db, sql: str, *args, bypass: str = "replica") -> None:
    conn = await trail_db.superuser()
    try:
        if bypass == "replica":
            await conn.execute("SET session_replication_role = replica")  # triggers do not fire
            await conn.execute(sql, *args)
        else:
            async with conn.transaction():
                await conn.execute("ALTER TABLE audit_trail DISABLE TRIGGER USER")
                await conn.execute(sql, *args)
                await conn.execute("ALTER TABLE audit_trail ENABLE TRIGGER USER")
    finally:
        await conn.close()


class TestAppend:
    async def test_appended_records_are_numbered_from_one_and_verify(self, trail_db):
        records = await append(trail_db, 4)

        result = await verify(trail_db)

        assert [r.seq for r in records] == [1, 2, 3, 4]
        assert (result.verified, result.broken) == (4, None)

    async def test_concurrent_appends_get_gap_free_numbers_and_one_linear_chain(self, trail_db):
        async def one() -> int:
            async with trail_db.pool.acquire() as conn, conn.transaction():
                return (await record_event(conn, entry())).seq

        seqs = await asyncio.gather(*(one() for _ in range(40)))

        assert sorted(seqs) == list(range(1, 41))
        assert (await verify(trail_db)).broken is None

    async def test_a_rolled_back_append_leaves_no_gap(self, trail_db):
        await append(trail_db, 1)
        with pytest.raises(RuntimeError):
            async with trail_db.pool.acquire() as conn, conn.transaction():
                await record_event(conn, entry())
                raise RuntimeError("the handler's transaction fails after the append")

        records = await append(trail_db, 1)

        assert records[0].seq == 2 and (await verify(trail_db)).broken is None


class TestTampering:
    @pytest.mark.parametrize(("column", "value"), [
        ("actor", "'officer-99'"), ("envelope", "'\\x7b7d'::bytea"), ("received_at", "received_at + interval '1 s'"),
        ("client_id", "gen_random_uuid()"), ('"offset"', '"offset" + 1'), ("hash", "sha256(hash)"),
        ("prev_hash", "sha256(prev_hash)"), ("type", "'ClientErased'"),
    ])
    async def test_altering_a_stored_record_is_named_at_that_record(self, trail_db, column, value):
        records = await append(trail_db, 5)

        await as_superuser(trail_db, f"UPDATE audit_trail SET {column} = {value} WHERE seq = 3")
        result = await verify(trail_db)

        assert (result.broken.seq, result.broken.event_id) == (3, records[2].entry.event_id)
        assert result.verified == 2

    async def test_disabling_the_trigger_does_not_hide_an_alteration(self, trail_db):
        records = await append(trail_db, 3)

        await as_superuser(trail_db, "UPDATE audit_trail SET organisation = 'kela' WHERE seq = 2", bypass="disable")
        broken = (await verify(trail_db)).broken

        assert (broken.seq, broken.event_id) == (2, records[1].entry.event_id)

    async def test_the_first_of_several_alterations_is_named(self, trail_db):
        await append(trail_db, 6)

        await as_superuser(trail_db, "UPDATE audit_trail SET actor = 'x' WHERE seq IN (2, 5)")

        assert (await verify(trail_db)).broken.seq == 2

    async def test_deleting_a_record_is_named_as_missing(self, trail_db):
        await append(trail_db, 5)

        await as_superuser(trail_db, "DELETE FROM audit_trail WHERE seq = 3")
        broken = (await verify(trail_db)).broken

        assert (broken.seq, broken.event_id, broken.what) == (3, None, "missing: the next record stored is 4")

    async def test_deleting_the_last_records_is_noticed_through_the_head(self, trail_db):
        await append(trail_db, 5)

        await as_superuser(trail_db, "DELETE FROM audit_trail WHERE seq >= 4")
        broken = (await verify(trail_db)).broken

        assert (broken.seq, broken.event_id) == (4, None)

    async def test_the_trigger_refuses_even_the_superuser_until_it_is_bypassed(self, trail_db):
        await append(trail_db, 1)
        conn = await trail_db.superuser()

        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute("DELETE FROM audit_trail")
        finally:
            await conn.close()


class TestServiceRole:
    @pytest.mark.parametrize("sql", [
        "UPDATE audit_trail SET actor = 'x'", "DELETE FROM audit_trail", "TRUNCATE audit_trail",
    ])
    async def test_the_service_role_cannot_rewrite_the_trail(self, trail_db, sql):
        await append(trail_db, 2)

        async with trail_db.pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)

        assert (await verify(trail_db)).verified == 2

    async def test_even_with_its_privileges_granted_back_the_trigger_refuses(self, trail_db):
        await append(trail_db, 1)

        async with trail_db.pool.acquire() as conn, conn.transaction():
            await conn.execute("GRANT UPDATE, DELETE ON audit_trail TO CURRENT_USER")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute("UPDATE audit_trail SET received_at = received_at - $1::interval",
                                   timedelta(seconds=1))
