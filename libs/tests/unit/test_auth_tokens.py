"""Tokens, secret hashes, who may hold which role, and the dependency's place in the OpenAPI document."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import TypeAdapter

from backbone.auth import (
    ROLES,
    Caller,
    CredentialInfo,
    IssuedCredential,
    authenticated,
    check_label,
    check_principal_and_role,
    format_token,
    hash_secret,
    new_key_id,
    new_secret,
    parse_token,
    roles_for,
    secret_matches,
)
from contracts.envelope import Actor
from contracts.topics import ORGANISATIONS, SERVICES

pytestmark = pytest.mark.unit

KEY_ID = "AbCdEf012345"
SECRET = "x" * 20 + "_-" + "Y" * 21  # 43 characters, with the "_" and "-" of url-safe base64


class TestTokens:
    def test_a_new_token_parses_back_into_its_key_id_and_secret(self):
        key_id, secret = new_key_id(), new_secret()

        token = format_token(key_id, secret)

        assert token == f"bb_{key_id}_{secret}"
        assert parse_token(token) == (key_id, secret)

    def test_a_secret_holding_underscores_still_splits_after_the_fixed_length_key_id(self):
        assert parse_token(f"bb_{KEY_ID}_{SECRET}") == (KEY_ID, SECRET)

    def test_secrets_carry_at_least_32_random_bytes_and_key_ids_have_no_underscore(self):
        secrets = {new_secret() for _ in range(100)}
        key_ids = {new_key_id() for _ in range(100)}

        assert len(secrets) == 100 and all(len(s) == 43 for s in secrets)  # 43 base64 characters = 32 bytes
        assert len(key_ids) == 100 and all(len(k) == 12 and k.isalnum() for k in key_ids)

    @pytest.mark.parametrize("token", [
        "",
        "bb_",
        f"bb_{KEY_ID}",
        f"bb_{KEY_ID}_",
        f"{KEY_ID}_{SECRET}",                      # no prefix
        f"BB_{KEY_ID}_{SECRET}",                   # prefix in the wrong case
        f"xx_{KEY_ID}_{SECRET}",                   # another prefix
        f"bb_{KEY_ID[:-1]}_{SECRET}",              # key id too short
        f"bb_{KEY_ID}9_{SECRET}",                  # key id too long
        f"bb_AbCdEf_12345_{SECRET}",               # "_" inside the key id
        f"bb_AbCdEf-12345_{SECRET}",               # "-" inside the key id
        f"bb_{KEY_ID}_{SECRET[:-1]}",              # secret too short
        f"bb_{KEY_ID}_{SECRET}A",                  # secret too long
        f"bb_{KEY_ID}_{SECRET[:-1]}=",             # padding or another alphabet
        f"bb_{KEY_ID}_{SECRET[:-1]}+",
        f"bb_{KEY_ID}_{SECRET[:-1]}ä",
        f" bb_{KEY_ID}_{SECRET}",                  # surrounding blanks
        f"bb_{KEY_ID}_{SECRET}\n",
        f"Bearer bb_{KEY_ID}_{SECRET}",            # the whole header instead of the token
    ])
    def test_refuses_malformed_tokens(self, token):
        assert parse_token(token) is None

    def test_will_not_format_a_token_that_would_not_parse(self):
        with pytest.raises(ValueError, match="^token: "):
            format_token("short", SECRET)


class TestSecretHashes:
    def test_the_stored_hash_is_the_sha256_of_the_secret(self):
        assert hash_secret(SECRET) == hashlib.sha256(SECRET.encode()).digest()
        assert len(hash_secret(SECRET)) == 32

    def test_only_the_same_secret_matches_its_hash(self):
        stored = hash_secret(SECRET)

        assert secret_matches(SECRET, stored)
        assert not secret_matches(SECRET[:-1] + "z", stored)
        assert not secret_matches("", stored)


class TestRoles:
    def test_organisations_act_as_officers_or_systems(self):
        for organisation in ORGANISATIONS:
            assert roles_for(organisation) == ("officer", "system")
            check_principal_and_role(organisation, "officer")
            check_principal_and_role(organisation, "system")

    def test_services_act_only_as_services_and_the_operator_only_as_operator(self):
        for service in SERVICES:
            check_principal_and_role(service, "service")
        check_principal_and_role("operator", "operator")

        with pytest.raises(ValueError, match="^role: notifications may hold service, not officer$"):
            check_principal_and_role("notifications", "officer")
        with pytest.raises(ValueError, match="^role: hango may hold officer or system, not operator$"):
            check_principal_and_role("hango", "operator")
        with pytest.raises(ValueError, match="^role: operator may hold operator, not system$"):
            check_principal_and_role("operator", "system")

    def test_an_unknown_principal_or_role_is_named_in_the_error(self):
        with pytest.raises(ValueError, match="^principal: 'hanko' is not one of "):
            check_principal_and_role("hanko", "officer")
        with pytest.raises(ValueError,
                           match="^role: 'admin' is not one of officer, system, operator, service, provider$"):
            check_principal_and_role("hango", "admin")

    def test_a_label_is_trimmed_and_between_1_and_200_characters(self):
        assert check_label("  Hanko intake desk ") == "Hanko intake desk"
        for bad in ("", "   ", "x" * 201):
            with pytest.raises(ValueError, match="^label: "):
                check_label(bad)

    def test_the_dependency_accepts_only_known_roles(self):
        for bad in ((), ("officer", "admin")):
            with pytest.raises(ValueError, match="^roles: "):
                authenticated(*bad)


class TestCallerAndCredential:
    def test_the_actor_of_a_caller_is_its_pseudonymous_key_id(self):
        caller = Caller(principal="employment-region", role="officer", key_id=new_key_id())

        assert caller.actor == caller.key_id
        assert TypeAdapter(Actor).validate_python(caller.actor) == caller.actor  # the envelope's own rule

    def test_an_issued_credential_keeps_its_token_out_of_its_repr(self):
        issued = IssuedCredential("AbCdEf012345", "hango", "system", None, token=f"bb_{KEY_ID}_{SECRET}")

        assert SECRET not in repr(issued)

    def test_a_credential_is_active_until_it_expires_or_is_revoked(self):
        now = datetime(2026, 3, 1, tzinfo=UTC)
        info = CredentialInfo(KEY_ID, "hango", "officer", "Hanko intake desk", now, now + timedelta(days=1),
                              None, None)

        assert info.state(now) == "active"
        assert info.state(now + timedelta(days=1)) == "expired"
        assert CredentialInfo(**{**vars(info), "revoked_at": now}).state(now) == "revoked"


def guarded_app() -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(caller: Annotated[Caller, Depends(authenticated(*ROLES))]) -> dict[str, str]:
        return {"principal": caller.principal}

    return app


def test_guarded_routes_show_a_bearer_scheme_in_the_openapi_document():
    document = guarded_app().openapi()

    assert document["components"]["securitySchemes"]["ApiCredential"]["scheme"] == "bearer"
    assert document["paths"]["/whoami"]["get"]["security"] == [{"ApiCredential": []}]


async def test_answers_503_while_the_service_has_no_database_pool_yet():
    app = guarded_app()
    app.state.context = SimpleNamespace(pool=None)  # as before start-up has opened it

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as http:
        response = await http.get("/whoami", headers={"Authorization": f"Bearer bb_{KEY_ID}_{SECRET}"})

    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json() == {"detail": "credentials cannot be checked right now; try again shortly"}
