"""Issue 8 on the real database: an erasure cannot be undone by a late edit, two opposite duplicate
resolutions never deadlock into a 500, unopposed claims take effect after their deadline, and
implausible dates are refused at the edge naming the field."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from backbone.clock import FixedClock
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import VaultCrypto
from intake.domain.client import Policy
from intake.domain.errors import Refused
from intake.service_layer import commands, handlers
from services.intake.tests.factories import PATHS, body, personal, registration
from services.intake.tests.integration.conftest import intake_settings, register
from tests.support.people import invent

pytestmark = pytest.mark.integration

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def keys(infra) -> VaultCrypto:
    settings = intake_settings(infra, 1)
    return VaultCrypto.from_settings(settings.vault_master_keys.get_secret_value(),
                                     settings.vault_index_key.get_secret_value())


def deps_on(pool, keys: VaultCrypto, day: date) -> handlers.Deps:
    clock = FixedClock(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
    return handlers.Deps(uow=lambda: PostgresUnitOfWork(pool, keys), clock=clock, policy=Policy())


async def raseborg_client(deps: handlers.Deps) -> UUID:
    cmd = commands.Register(sender="kela", registration=registration("kela_notification", home_municipality="raseborg"),
                            person=personal(invent()))
    return (await handlers.register(cmd, deps)).client_id


async def responsible(pool, client: UUID) -> str:
    return await pool.fetchval("SELECT responsible_organisation FROM clients WHERE client_id = $1", client)


async def test_an_edit_that_read_the_vault_before_an_erasure_cannot_store_after_it(intake_db, keys):
    deps = deps_on(intake_db, keys, TODAY)
    client = await raseborg_client(deps)

    async with PostgresUnitOfWork(intake_db, keys) as editing:
        record = await editing.vault.load(client)
        await handlers.erase(commands.Erase(sender="raseborg", client_id=client, basis="client_request"), deps)
        with pytest.raises(Refused) as refused:
            await editing.vault.store(client, record, "raseborg")

    assert refused.value.rule == "R29"
    assert await intake_db.fetchval("SELECT count(*) FROM vault_keys WHERE client_id = $1", client) == 0


async def test_an_unopposed_claim_takes_effect_when_the_job_runs_after_its_deadline_and_not_on_it(intake_db, keys):
    deps = deps_on(intake_db, keys, TODAY)
    client = await raseborg_client(deps)
    claimed = await handlers.claim_responsibility(commands.ClaimResponsibility(
        sender="inga", client_id=client, municipality="inga", on=TODAY), deps)
    deadline = claimed.details["objection_deadline"]

    await handlers.accept_unopposed_claims(deps_on(intake_db, keys, deadline))
    on_the_last_day = await responsible(intake_db, client)
    await handlers.accept_unopposed_claims(deps_on(intake_db, keys, deadline + timedelta(days=1)))

    assert deadline == date(2026, 3, 16)  # 10 working days after Monday 2 March
    assert (on_the_last_day, await responsible(intake_db, client)) == ("raseborg", "inga")
    handover = await intake_db.fetchrow("SELECT * FROM handovers WHERE client_id = $1", client)
    assert (handover["previous_organisation"], handover["responsible_organisation"]) == ("raseborg", "inga")


async def test_two_opposite_concurrent_merges_of_a_pair_never_deadlock_into_a_500(http, as_):
    pairs = []
    for _ in range(4):
        person = invent()
        first = (await register(http, as_, "refugee_placement", person)).json()["client_id"]
        second = (await register(http, as_, "kela_notification", person,
                                 person_overrides={"identity_code": None})).json()
        assert second["possible_duplicates"] == [first]
        pairs.append((first, second["client_id"]))
    officer = await as_("raseborg", "officer")

    def resolve(one: str, other: str):  # each merges the other into `one`: the vault rows are taken in opposite order
        return http.post("/duplicates/resolution", headers=officer, json={
            "client_id": one, "other_client_id": other, "resolution": "merged", "surviving_client_id": one})

    answers = await asyncio.gather(*(resolve(a, b) for a, b in pairs), *(resolve(b, a) for a, b in pairs))

    statuses = [a.status_code for a in answers]
    assert 500 not in statuses
    for n in range(len(pairs)):
        assert sorted((statuses[n], statuses[n + len(pairs)])) == [200, 409]


@pytest.mark.parametrize(("field", "overrides", "person_overrides"), [
    ("first_permit_date", {"first_permit_date": "9999-12-31"}, {}),
    ("first_permit_date", {"first_permit_date": "9998-06-01"}, {}),
    ("decided_on", {"decided_on": "2999-01-01"}, {}),
    ("name", {}, {"name": "\u0000"}),
])
async def test_an_implausible_value_is_refused_with_422_naming_the_field_and_nothing_is_kept(
        http, as_, intake_db, field, overrides, person_overrides):
    before = await intake_db.fetchval("SELECT count(*) FROM event_store")

    response = await http.post(PATHS["kela_notification"], headers=await as_("kela"),
                               json=body("kela_notification", invent(), person_overrides=person_overrides, **overrides))

    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    assert await intake_db.fetchval("SELECT count(*) FROM event_store") == before


async def test_a_status_change_dated_9999_is_refused_naming_the_field(http, as_):
    client = (await register(http, as_, "employment_region_jobseeker", invent())).json()["client_id"]

    response = await http.post(f"/clients/{client}/jobseeker-status", headers=await as_("employment-region"),
                               json={"registered": False, "on": "9999-12-31"})

    assert (response.status_code, response.json()["detail"][0]["loc"]) == (422, ["body", "on"])
