"""Crypto-shredding survives a backup restore (issue 8): dump intake's database, erase a person,
restore the dump, start intake — the person is gone again before intake serves anything."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from backbone import auth
from contracts.envelope import Envelope
from contracts.topics import event_topic
from deploy.tools import pg_bindir
from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import bearer, free_port, intake_settings, serving, tail
from tests.support.people import invent

pytestmark = pytest.mark.integration


async def superuser(infra, sql: str) -> None:
    conn = await asyncpg.connect(infra.dsn("postgres", "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def pg(tool: str, *args: str) -> None:
    done = await asyncio.to_thread(subprocess.run, [str(pg_bindir() / tool), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"{tool} failed: {done.stderr[-2000:]}"


@pytest.fixture
async def own_database(infra):
    """A database of intake's own for this test, which it may drop and restore."""
    name = f"intake_restore_{uuid4().hex[:12]}"
    await superuser(infra, f'CREATE DATABASE "{name}" OWNER intake')
    yield name, infra.dsn("intake", name)
    await superuser(infra, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def issue(dsn: str, principal: str, role: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        issued = await auth.issue(conn, principal=principal, role=role, label="restore test", now=now,
                                  expires_at=now + timedelta(hours=1))
    finally:
        await conn.close()
    return bearer(issued.token)


async def vault_keys_of(dsn: str, client: UUID) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM vault_keys WHERE client_id = $1", client)
    finally:
        await conn.close()


async def test_a_person_erased_after_the_dump_is_erased_again_when_intake_starts_on_the_restored_dump(
        infra, own_database, tmp_path: Path, unique):
    name, dsn = own_database
    settings = intake_settings(infra, free_port()).model_copy(update={"database_url": SecretStr(dsn)})
    dump = tmp_path / "intake.dump"
    person = invent()

    async with serving(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        kela, officer = await issue(dsn, "kela", "system"), await issue(dsn, "raseborg", "officer")
        registered = await http.post(PATHS["kela_notification"], headers=kela,
                                     json=body("kela_notification", person, home_municipality="raseborg"))
        client = UUID(registered.json()["client_id"])
        await pg("pg_dump", "--format=custom", f"--file={dump}", f"--dbname={dsn}")
        async with tail(infra, event_topic("intake"), principal="audit", group=f"audit-restore-{unique}") as next_:
            erased = await http.post(f"/clients/{client}/erasure", headers=officer, json={"basis": "client_request"})
            await next_(lambda r: r.key == str(client).encode() and Envelope.from_bytes(r.value).type == "ClientErased")
    assert erased.status_code == 200

    await superuser(infra, f'DROP DATABASE "{name}" WITH (FORCE)')
    await superuser(infra, f'CREATE DATABASE "{name}" OWNER intake')
    await pg("pg_restore", "--no-owner", f"--dbname={dsn}", str(dump))
    assert await vault_keys_of(dsn, client) == 1  # the restored dump holds the person's data key again

    async with serving(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        read = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})
        again = await http.post(PATHS["kela_notification"], headers=kela,
                                json=body("kela_notification", person, home_municipality="raseborg"))

    assert read.status_code == 404
    assert await vault_keys_of(dsn, client) == 0
    assert again.json()["created"] is True and again.json()["client_id"] != str(client)  # nobody known by that code
