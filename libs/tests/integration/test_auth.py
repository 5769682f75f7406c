"""API credentials on real PostgreSQL: a guarded route served by uvicorn, and the `credentials` command."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Annotated

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI

from backbone.auth import (
    Authenticator,
    Caller,
    IssuedCredential,
    authenticated,
    get_credential,
    issue,
    revoke,
    rotate,
)

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def guarded_app() -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(caller: Annotated[Caller, Depends(authenticated("officer"))]) -> dict[str, str]:
        return {"principal": caller.principal, "role": caller.role, "actor": caller.actor}

    return app


@pytest.fixture(scope="module")
async def client(intake_pool) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a tiny app served over real HTTP, whose authenticator remembers nothing."""
    app = guarded_app()
    app.state.authenticator = Authenticator(intake_pool, cache_ttl_s=0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if serving.done():
            serving.result()
        assert time.monotonic() < deadline, "the test app did not start within 30 s"
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        yield http
    server.should_exit = True
    await serving


async def issued(pool: asyncpg.Pool, unique: str, *, principal: str = "hango", role: str = "officer",
                 now: datetime | None = None, expires_at: datetime | None = None) -> IssuedCredential:
    return await issue(pool, principal=principal, role=role, label=f"test desk {unique}",
                       now=now or datetime.now(UTC), expires_at=expires_at)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: httpx.Response, detail_starts: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"].startswith(detail_starts)


class TestGuardedRoute:
    async def test_lets_the_allowed_role_through_as_its_principal_and_records_the_use(self, client, intake_pool,
                                                                                     unique):
        credential = await issued(intake_pool, unique)

        response = await client.get("/whoami", headers=bearer(credential.token))

        assert response.status_code == 200
        assert response.json() == {"principal": "hango", "role": "officer", "actor": credential.key_id}
        assert (await get_credential(intake_pool, credential.key_id)).last_used_at is not None

    async def test_asks_for_a_bearer_token_when_there_is_no_header(self, client):
        response = await client.get("/whoami")

        assert_unauthenticated(response, "missing Authorization header")

    async def test_refuses_another_scheme(self, client):
        response = await client.get("/whoami", headers={"Authorization": "Basic aGFuZ286c2VjcmV0"})

        assert_unauthenticated(response, "Authorization header is not 'Bearer <token>'")

    async def test_refuses_a_malformed_token(self, client):
        response = await client.get("/whoami", headers=bearer("bb_not-a-token"))

        assert_unauthenticated(response, "malformed token")

    async def test_answers_a_wrong_secret_exactly_as_an_unknown_key(self, client, intake_pool, unique):
        credential = await issued(intake_pool, unique)
        key_part, secret = credential.token[:16], credential.token[16:]
        wrong_secret = key_part + ("A" if secret[0] != "A" else "B") + secret[1:]
        unknown_key = "bb_ZZZZZZZZZZZZ_" + secret

        wrong = await client.get("/whoami", headers=bearer(wrong_secret))
        unknown = await client.get("/whoami", headers=bearer(unknown_key))

        assert_unauthenticated(wrong, "credential not recognised")
        assert wrong.json() == unknown.json()

    async def test_refuses_a_revoked_credential(self, client, intake_pool, unique):
        credential = await issued(intake_pool, unique)
        assert (await client.get("/whoami", headers=bearer(credential.token))).status_code == 200

        await revoke(intake_pool, credential.key_id, now=datetime.now(UTC))
        response = await client.get("/whoami", headers=bearer(credential.token))

        assert_unauthenticated(response, "credential revoked")

    async def test_refuses_an_expired_credential(self, client, intake_pool, unique):
        two_days_ago = datetime.now(UTC) - timedelta(days=2)
        credential = await issued(intake_pool, unique, now=two_days_ago, expires_at=two_days_ago + timedelta(days=1))

        response = await client.get("/whoami", headers=bearer(credential.token))

        assert_unauthenticated(response, "credential expired")

    async def test_forbids_a_role_the_route_does_not_allow_and_names_the_allowed_ones(self, client, intake_pool,
                                                                                      unique):
        credential = await issued(intake_pool, unique, role="system")

        response = await client.get("/whoami", headers=bearer(credential.token))

        assert response.status_code == 403
        assert response.json() == {"detail": "role system may not do this; allowed: officer"}


class TestAuthenticator:
    async def test_a_revocation_takes_effect_once_the_cache_ttl_has_passed(self, intake_pool, unique):
        credential = await issued(intake_pool, unique)
        authenticator = Authenticator(intake_pool, cache_ttl_s=0.5)
        now = datetime.now(UTC)
        assert await authenticator.authenticate(credential.token, now=now) is not None

        await revoke(intake_pool, credential.key_id, now=now)
        remembered = await authenticator.authenticate(credential.token, now=now)
        await asyncio.sleep(0.6)
        after_ttl = await authenticator.authenticate(credential.token, now=now)

        assert remembered == Caller("hango", "officer", credential.key_id)
        assert after_ttl is None

    async def test_records_the_last_use_at_most_once_per_interval(self, intake_pool, unique):
        credential = await issued(intake_pool, unique)
        authenticator = Authenticator(intake_pool, cache_ttl_s=0)
        first = datetime.now(UTC)

        await authenticator.authenticate(credential.token, now=first)
        await authenticator.authenticate(credential.token, now=first + timedelta(seconds=30))

        assert (await get_credential(intake_pool, credential.key_id)).last_used_at == first

    async def test_a_service_app_gets_one_on_first_use_from_its_pool(self, intake_pool, unique):
        app = guarded_app()
        app.state.context = SimpleNamespace(pool=intake_pool)  # where create_service_app keeps the pool
        credential = await issued(intake_pool, unique)

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as http:
            response = await http.get("/whoami", headers=bearer(credential.token))

        assert response.status_code == 200
        assert isinstance(app.state.authenticator, Authenticator)


class TestRotate:
    async def test_the_successor_lives_as_long_as_the_old_credential_was_issued_for(self, intake_pool, unique):
        now = datetime.now(UTC)
        old = await issued(intake_pool, unique, now=now - timedelta(days=10), expires_at=now + timedelta(days=20))

        async with intake_pool.acquire() as conn:
            new = await rotate(conn, old.key_id, now=now, overlap=timedelta(days=1))

        assert new.expires_at == now + timedelta(days=30)
        assert (await get_credential(intake_pool, old.key_id)).expires_at == now + timedelta(days=1)

    async def test_the_overlap_never_extends_the_old_credential(self, intake_pool, unique):
        now = datetime.now(UTC)
        old = await issued(intake_pool, unique, now=now, expires_at=now + timedelta(days=1))

        async with intake_pool.acquire() as conn:
            await rotate(conn, old.key_id, now=now, overlap=timedelta(days=7))

        assert (await get_credential(intake_pool, old.key_id)).expires_at == now + timedelta(days=1)


CLI = "import os, sys; from backbone.auth import main; sys.exit(main(sys.argv[1:], os.environ['TEST_DSN']))"


async def command(dsn: str, *argv: str) -> tuple[int, str, str]:
    """Run `credentials ...` as its own process, as an operator would; the database URL is not in argv."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, *argv, env={**os.environ, "TEST_DSN": dsn},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


class TestCredentialsCommand:
    async def test_issue_prints_the_token_once_and_list_shows_the_credential_without_it(self, infra,
                                                                                        intake_pool, unique):
        dsn = infra.dsn("intake")

        status, out, err = await command(dsn, "issue", "--principal", "kela", "--role", "system",
                                         "--label", f"Kela batch {unique}", "--expires-in-days", "30")
        listed = await command(dsn, "list", "--json")

        token = out.strip()
        assert status == 0 and out.count("\n") == 1
        assert "cannot be shown again" in err and token not in err
        caller = await Authenticator(intake_pool).authenticate(token, now=datetime.now(UTC))
        assert caller is not None and (caller.principal, caller.role) == ("kela", "system")
        rows = [json.loads(line) for line in listed[1].splitlines()]
        mine = next(r for r in rows if r["key_id"] == caller.key_id)
        assert mine["label"] == f"Kela batch {unique}" and mine["state"] == "active" and mine["expires_at"]
        assert token.rsplit("_", 1)[-1] not in listed[1] and "secret" not in mine and "hash" not in str(mine)

    async def test_issue_refuses_a_role_the_principal_may_not_hold(self, infra, unique):
        status, out, err = await command(infra.dsn("intake"), "issue", "--principal", "hango",
                                         "--role", "service", "--label", f"desk {unique}")

        assert status == 1 and out == ""
        assert "role: hango may hold officer or system, not service" in err

    async def test_revoke_ends_a_credential_and_says_when_there_is_nothing_to_revoke(self, infra,
                                                                                    intake_pool, unique):
        credential = await issued(intake_pool, unique)
        dsn = infra.dsn("intake")

        first = await command(dsn, "revoke", credential.key_id)
        again = await command(dsn, "revoke", credential.key_id)
        unknown = await command(dsn, "revoke", "ZZZZZZZZZZZZ")

        assert first[0] == 0 and again[0] == 0 and "revoked already" in again[2]
        assert unknown[0] == 1 and "no credential with key id 'ZZZZZZZZZZZZ'" in unknown[2]
        assert await Authenticator(intake_pool).authenticate(credential.token, now=datetime.now(UTC)) is None

    async def test_rotate_leaves_both_credentials_valid_until_the_overlap_ends(self, infra, intake_pool,
                                                                              unique):
        old = await issued(intake_pool, unique, principal="luvn")

        status, out, err = await command(infra.dsn("intake"), "rotate", old.key_id, "--overlap-days", "2")

        new_token = out.strip()
        authenticator = Authenticator(intake_pool, cache_ttl_s=0)
        now = datetime.now(UTC)
        assert status == 0 and f"{old.key_id} keeps working until" in err
        new_now = await authenticator.authenticate(new_token, now=now)
        assert new_now is not None and (new_now.principal, new_now.role) == ("luvn", "officer")
        assert await authenticator.authenticate(old.token, now=now) is not None
        after_overlap = now + timedelta(days=2, minutes=1)
        assert await authenticator.authenticate(old.token, now=after_overlap) is None
        assert await authenticator.authenticate(new_token, now=after_overlap) is not None
        assert (await get_credential(intake_pool, new_now.key_id)).label == f"test desk {unique}"

    async def test_rotate_refuses_a_revoked_credential(self, infra, intake_pool, unique):
        old = await issued(intake_pool, unique)
        await revoke(intake_pool, old.key_id, now=datetime.now(UTC))

        status, out, err = await command(infra.dsn("intake"), "rotate", old.key_id)

        assert status == 1 and out == "" and "is revoked; issue a new one instead" in err

    async def test_works_on_a_fresh_database(self, infra, unique):
        admin = await asyncpg.connect(infra.dsn("postgres", database="postgres"))
        name = f"auth_{unique}"
        await admin.execute(f'CREATE DATABASE "{name}" OWNER intake')
        try:
            status, out, _ = await command(infra.dsn("intake", database=name), "issue", "--principal",
                                           "operator", "--role", "operator", "--label", "Operations console")

            assert status == 0 and out.startswith("bb_")
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
