"""One database and one role per service; a role cannot reach another service's data."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.topics import SERVICES

pytestmark = pytest.mark.integration


async def test_each_service_role_owns_and_uses_its_own_database(infra, unique):
    for service in SERVICES:
        conn = await asyncpg.connect(infra.dsn(service))
        try:
            await conn.execute(f"CREATE TABLE t_{unique} (id int)")
            await conn.execute(f"INSERT INTO t_{unique} VALUES (1)")
            assert await conn.fetchval(f"SELECT count(*) FROM t_{unique}") == 1
            await conn.execute(f"DROP TABLE t_{unique}")
        finally:
            await conn.close()


async def test_a_service_role_cannot_connect_to_another_services_database(infra, unique):
    owner = await asyncpg.connect(infra.dsn("intake"))
    await owner.execute(f"CREATE TABLE private_{unique} (secret text)")
    await owner.close()

    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await asyncpg.connect(infra.dsn("assessment", database="intake"))


async def test_a_service_role_cannot_read_another_services_tables_even_if_it_could_connect(infra, unique):
    owner = await asyncpg.connect(infra.dsn("intake"))
    await owner.execute(f"CREATE TABLE vault_{unique} (secret text)")
    await owner.close()
    admin = await asyncpg.connect(infra.dsn("postgres", database="intake"))
    await admin.execute('GRANT CONNECT ON DATABASE "intake" TO "audit"')
    try:
        intruder = await asyncpg.connect(infra.dsn("audit", database="intake"))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await intruder.fetch(f"SELECT * FROM vault_{unique}")
        finally:
            await intruder.close()
    finally:
        await admin.execute('REVOKE CONNECT ON DATABASE "intake" FROM "audit"')
        await admin.close()


async def test_a_wrong_database_password_is_refused(infra):
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(f"postgresql://intake:wrong@{infra.pg_host}:{infra.pg_port}/intake")
