"""`python -m audit verify` and `tail` as an operator runs them, against a test's own schema."""

from __future__ import annotations

import asyncio
import signal

import pytest

from audit.service_layer.trail import record_event
from deploy.config import REPO

from .conftest import PYTHON, entry

pytestmark = pytest.mark.integration


async def run(trail_db, *args: str, timeout: float = 30) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(PYTHON, "-m", "audit", *args, env=trail_db.cli_env(), cwd=REPO,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def append(trail_db, n: int) -> list:
    records = []
    for _ in range(n):
        async with trail_db.pool.acquire() as conn, conn.transaction():
            records.append(await record_event(conn, entry()))
    return records


class TestVerifyCommand:
    async def test_an_intact_trail_is_reported_ok_with_status_0(self, trail_db):
        await append(trail_db, 3)

        assert await run(trail_db, "verify") == (0, "OK: 3 records verified\n", "WARNING: anchors not checked: "
                                                 "no anchor key configured (AUDIT_ANCHOR_VERIFY_KEY)\n")

    async def test_a_broken_trail_names_the_first_broken_record_with_status_1(self, trail_db):
        records = await append(trail_db, 4)
        conn = await trail_db.superuser()
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("UPDATE audit_trail SET actor = 'officer-99' WHERE seq = 2")
        await conn.close()

        status, out, _ = await run(trail_db, "verify")

        assert status == 1
        assert out == (f"BROKEN at record 2 (event {records[1].entry.event_id}): "
                       "altered: its fields do not match its hash\n")

    async def test_a_database_without_a_trail_is_an_error_with_status_2(self, empty_db):
        status, out, err = await run(empty_db, "verify")

        assert (status, out) == (2, "")
        assert err.startswith("ERROR: this database has no audit trail yet")


class TestTailCommand:
    async def test_once_prints_one_line_per_record_from_the_given_number(self, trail_db):
        records = await append(trail_db, 4)

        status, out, _ = await run(trail_db, "tail", "--once", "--from", "2")

        lines = out.splitlines()
        assert status == 0 and [int(line.split()[0]) for line in lines] == [2, 3, 4]
        seq, _, producer, type_, client, short_hash = lines[0].split()
        assert (producer, type_, client, short_hash) == (
            "intake", "ClientRegistered", str(records[1].entry.client_id), records[1].hash.hex()[:12])

    async def test_without_from_it_starts_ten_records_before_the_end(self, trail_db):
        await append(trail_db, 12)

        _, out, _ = await run(trail_db, "tail", "--once")

        assert [int(line.split()[0]) for line in out.splitlines()] == list(range(3, 13))

    async def test_limit_stops_after_that_many_records(self, trail_db):
        await append(trail_db, 5)

        _, out, _ = await run(trail_db, "tail", "--from", "1", "--limit", "2")

        assert [int(line.split()[0]) for line in out.splitlines()] == [1, 2]

    async def test_it_follows_new_records_until_sigterm(self, trail_db):
        await append(trail_db, 1)
        proc = await asyncio.create_subprocess_exec(
            PYTHON, "-m", "audit", "tail", "--from", "1", "--interval", "0.1", env=trail_db.cli_env(), cwd=REPO,
            stdout=asyncio.subprocess.PIPE)
        first = await asyncio.wait_for(proc.stdout.readline(), 30)

        later = await append(trail_db, 1)
        second = await asyncio.wait_for(proc.stdout.readline(), 30)
        proc.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(proc.wait(), 30)

        assert (first.split()[0], second.split()[0], status) == (b"1", b"2", 0)
        assert second.split()[-1].decode() == later[0].hash.hex()[:12]
