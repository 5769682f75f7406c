"""Intake's scheduled jobs (R29 erasure, agreement changes) and the vault's key rotation, on real PostgreSQL."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from backbone import crypto
from backbone.clock import FixedClock
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import VaultCrypto, rewrap_all
from intake.bootstrap import policy_from
from intake.domain.agreements import default_agreement_book
from intake.domain.client import Policy
from intake.service_layer import commands, handlers
from services.intake.tests.factories import personal, registration
from services.intake.tests.integration.conftest import intake_settings
from tests.support.people import invent

pytestmark = pytest.mark.integration

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def keys(infra) -> VaultCrypto:
    settings = intake_settings(infra, 1)
    return VaultCrypto.from_settings(settings.vault_master_keys.get_secret_value(),
                                     settings.vault_index_key.get_secret_value())


def deps_on(pool, keys: VaultCrypto, day: date, policy: Policy | None = None) -> handlers.Deps:
    clock = FixedClock(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
    return handlers.Deps(uow=lambda: PostgresUnitOfWork(pool, keys), clock=clock, policy=policy or Policy())


async def register(deps: handlers.Deps, source: str = "kela_notification", **facts) -> UUID:
    cmd = commands.Register(sender=None if source == "own_request" else "kela", registration=registration(
        source, **facts), person=personal(invent()))
    return (await handlers.register(cmd, deps)).client_id


async def types_of(pool, client_id: UUID) -> list[str]:
    rows = await pool.fetch("SELECT type FROM event_store WHERE stream_id = $1 ORDER BY version", client_id)
    return [r["type"] for r in rows]


async def test_R29_the_retention_job_erases_4_years_after_the_relationship_ended_and_not_before(intake_db, keys):
    deps = deps_on(intake_db, keys, TODAY)
    client = await register(deps)
    await handlers.end_relationship(commands.EndRelationship(sender="raseborg", client_id=client,
                                                             ended_on=TODAY, reason="services_completed"), deps)

    await handlers.erase_expired(deps_on(intake_db, keys, date(2030, 3, 1)))
    kept = await types_of(intake_db, client)
    await handlers.erase_expired(deps_on(intake_db, keys, date(2030, 3, 2)))

    assert kept[-1] == "ClientRelationshipEnded"
    assert (await types_of(intake_db, client))[-1] == "ClientErased"
    async with PostgresUnitOfWork(intake_db, keys) as uow:
        assert await uow.vault.load(client) is None
    event = await intake_db.fetchval(
        "SELECT convert_from(envelope, 'UTF8')::jsonb -> 'payload' ->> 'basis' FROM event_store "
        "WHERE stream_id = $1 AND type = 'ClientErased'", client)
    assert event == "retention_expired"


async def test_R5_when_inkoos_agreement_enters_into_force_its_clients_move_to_raseborg(intake_db, keys):
    deps = deps_on(intake_db, keys, TODAY)
    inga_client = await register(deps, home_municipality="inga")
    jobseeker = (await handlers.register(commands.Register(
        sender="employment-region", registration=registration("employment_region_jobseeker", home_municipality="inga"),
        person=personal(invent())), deps)).client_id
    in_force = Policy(default_agreement_book(inga_status="in_force", inga_from=TODAY + timedelta(days=1)))

    await handlers.review_responsibilities(deps_on(intake_db, keys, TODAY, in_force))
    before = await types_of(intake_db, inga_client)
    await handlers.review_responsibilities(deps_on(intake_db, keys, TODAY + timedelta(days=1), in_force))

    assert "ResponsibilityAssigned" not in before
    assert (await types_of(intake_db, inga_client))[-1] == "ResponsibilityAssigned"
    assert "ResponsibilityAssigned" not in await types_of(intake_db, jobseeker)
    row = await intake_db.fetchrow("SELECT responsible_organisation FROM clients WHERE client_id = $1", inga_client)
    assert row["responsible_organisation"] == "raseborg"


async def test_after_a_master_key_rotation_every_data_key_is_rewrapped_and_the_data_still_reads(intake_db, keys,
                                                                                               infra):
    client = await register(deps_on(intake_db, keys, TODAY))
    deployed = intake_settings(infra, 1).vault_master_keys.get_secret_value()
    new = f"r{secrets.randbelow(10**9)}:{base64.b64encode(crypto.new_data_key()).decode()}"

    async with intake_db.acquire() as conn:
        count = await rewrap_all(conn, crypto.MasterKeyring.from_setting(f"{new},{deployed}"))
    only_the_new_key = VaultCrypto(crypto.MasterKeyring.from_setting(new), keys.index)

    assert count >= 1
    async with PostgresUnitOfWork(intake_db, only_the_new_key) as uow:
        assert (await uow.vault.load(client)) is not None
    async with intake_db.acquire() as conn:  # put the test database back under the deployment's key
        await rewrap_all(conn, crypto.MasterKeyring.from_setting(f"{deployed},{new}"))


async def test_policy_from_settings_reads_the_agreements_and_the_saturday_rule(infra):
    settings = intake_settings(infra, 1).model_copy(update={"inga_agreement_status": "in_force",
                                                           "saturday_is_working_day": True})

    policy = policy_from(settings)

    assert policy.agreements.provider_on("inga", settings.inga_agreement_from) == "raseborg"
    assert policy.working_days.saturday_is_working is True
