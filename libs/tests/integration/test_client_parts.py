"""The runtime's optional parts on real PostgreSQL: per-client keys, the client view, the scheduler."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import date
from uuid import uuid4

import asyncpg
import pytest

from backbone import clientview, db, parts, scheduler
from backbone.clientkeys import ClientKeys, ClientShredded
from backbone.crypto import VaultDataError
from contracts.envelope import Envelope
from contracts.events.intake import (
    ClientDetailsChanged,
    ClientErased,
    ClientRegistered,
    ClientSourceAdded,
    DuplicateResolved,
    ResponsibilityAssigned,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def parts_pool(assessment_pool):
    for part in (parts.CLIENT_KEYS, parts.CLIENT_VIEW):
        await db.migrate(assessment_pool, part, prefix=f"backbone/{part.name}/")
    return assessment_pool


def keyring_setting() -> str:
    return f"k1:{base64.b64encode(os.urandom(32)).decode()}"


class TestClientKeys:
    async def test_text_sealed_for_a_client_opens_for_that_client_only(self, parts_pool):
        keys, client, other = ClientKeys.from_setting(keyring_setting()), uuid4(), uuid4()
        async with parts_pool.acquire() as conn:
            blob = await keys.seal(conn, client, "tolk behövs, talar dari")

            assert await keys.open(conn, client, blob) == "tolk behövs, talar dari"
            assert b"dari" not in blob
            await keys.seal(conn, other, "another client's key now exists")
            with pytest.raises(VaultDataError, match="does not decrypt"):
                await keys.open(conn, other, blob)

    async def test_after_shredding_nothing_opens_and_nothing_more_is_sealed(self, parts_pool):
        keys, client = ClientKeys.from_setting(keyring_setting()), uuid4()
        async with parts_pool.acquire() as conn:
            blob = await keys.seal(conn, client, "anteckning")

            assert await keys.shred(conn, client) is True
            assert await keys.shred(conn, client) is False
            assert await keys.open(conn, client, blob) is None
            assert await keys.is_shredded(conn, client)
            with pytest.raises(ClientShredded):
                await keys.seal(conn, client, "efter radering")

    async def test_an_erasure_that_arrives_first_still_prevents_later_writes(self, parts_pool):
        keys, client = ClientKeys.from_setting(keyring_setting()), uuid4()
        async with parts_pool.acquire() as conn:
            assert await keys.shred(conn, client) is False

            with pytest.raises(ClientShredded):
                await keys.seal(conn, client, "text")

    async def test_a_shred_waits_for_a_write_in_progress_so_it_cannot_be_undone(self, parts_pool):
        keys, client = ClientKeys.from_setting(keyring_setting()), uuid4()
        async with parts_pool.acquire() as writer, parts_pool.acquire() as eraser:
            async with writer.transaction():
                await keys.seal(writer, client, "text")
                async with eraser.transaction():
                    await eraser.execute("SET LOCAL lock_timeout = '200ms'")
                    with pytest.raises(asyncpg.LockNotAvailableError):
                        await keys.shred(eraser, client)
            assert await keys.shred(eraser, client) is True

    async def test_rewrap_moves_keys_to_the_newest_master_key(self, parts_pool, unique):
        old = keyring_setting()
        new = "k2:" + base64.b64encode(os.urandom(32)).decode()
        client = uuid4()
        async with parts_pool.acquire() as conn, conn.transaction():  # a table of its own: rewrap reads every row
            await conn.execute(f"CREATE SCHEMA rewrap_{unique}; SET LOCAL search_path TO rewrap_{unique}")
            await conn.execute((parts.CLIENT_KEYS / "001_client_keys.sql").read_text())
            blob = await ClientKeys.from_setting(old).seal(conn, client, "text")
            rotated = ClientKeys.from_setting(f"{new},{old}")

            assert await rotated.rewrap(conn) == 1
            assert await rotated.rewrap(conn) == 0
            assert await ClientKeys.from_setting(new).open(conn, client, blob) == "text"
            await conn.execute(f"DROP SCHEMA rewrap_{unique} CASCADE")


def envelope(event, client_id, organisation="raseborg") -> Envelope:
    return Envelope.wrap(event, producer="intake", organisation=organisation, actor="system", client_id=client_id,
                         correlation_id=uuid4())


def registered(client_id, **overrides) -> ClientRegistered:
    fields = dict(client_id=client_id, home_municipality="hango", languages=["ar", "sv"],
                  target_groups=["international_protection"], window_ends_on=date(2028, 1, 15),
                  source="refugee_placement", registered_on=date(2025, 3, 3), responsible_organisation="raseborg",
                  responsibility_reason="service_agreement", registered_jobseeker=False,
                  luvn_participation_required=True, state="to_be_assessed",
                  state_reason="target_group_within_window", state_rule="R2", assessment_due_on=date(2025, 3, 10))
    return ClientRegistered(**{**fields, **overrides})


class TestClientView:
    async def test_follows_a_client_through_intakes_events(self, parts_pool):
        client = uuid4()
        async with parts_pool.acquire() as conn:
            before, after = await clientview.apply(conn, envelope(registered(client), client), registered(client))
            assert before is None
            assert after.responsible_organisation == "raseborg" and after.languages == ("ar", "sv")
            assert after.state == "to_be_assessed" and after.assessment_due_on == date(2025, 3, 10)

            moved = ResponsibilityAssigned(previous_organisation="raseborg", responsible_organisation="employment-region",
                                           effective_on=date(2025, 4, 1), reason="registered_as_jobseeker")
            before, after = await clientview.apply(conn, envelope(moved, client), moved)
            assert before.responsible_organisation == "raseborg"
            assert after.responsible_organisation == "employment-region"
            assert after.responsible_since == date(2025, 4, 1)
            assert after.may_act("employment-region") and not after.may_act("raseborg")

            changed = ClientDetailsChanged(languages=["fa"], registered_jobseeker=True)
            _, after = await clientview.apply(conn, envelope(changed, client), changed)
            assert after.languages == ("fa",) and after.registered_jobseeker
            assert after.home_municipality == "hango"

            added = ClientSourceAdded(source="employment_region_jobseeker", registered_on=date(2025, 4, 1),
                                      target_groups=["international_protection", "unemployed_jobseeker"],
                                      luvn_participation_required=False, state="to_be_assessed",
                                      state_reason="target_group_within_window", state_rule="R2",
                                      assessment_due_on=date(2025, 4, 8))
            _, after = await clientview.apply(conn, envelope(added, client), added)
            assert after.target_groups == ("international_protection", "unemployed_jobseeker")
            assert after.assessment_due_on == date(2025, 4, 8) and not after.luvn_participation_required

            erased = ClientErased(erased_on=date(2025, 5, 1), basis="client_request")
            _, after = await clientview.apply(conn, envelope(erased, client), erased)
            assert after.erased and not after.active and not after.may_act("employment-region")

    async def test_a_merged_client_is_no_longer_acted_on(self, parts_pool):
        client, survivor = uuid4(), uuid4()
        async with parts_pool.acquire() as conn:
            await clientview.apply(conn, envelope(registered(client), client), registered(client))
            merged = DuplicateResolved(other_client_id=survivor, resolution="merged", surviving_client_id=survivor)

            _, after = await clientview.apply(conn, envelope(merged, client), merged)

            assert after.merged_into == survivor and not after.active

    async def test_an_event_for_a_client_never_registered_changes_nothing(self, parts_pool):
        client = uuid4()
        erased = ClientErased(erased_on=date(2025, 5, 1), basis="client_request")
        async with parts_pool.acquire() as conn:
            before, after = await clientview.apply(conn, envelope(erased, client), erased)

            assert before is None and after is None


class TestScheduler:
    async def test_two_instances_never_run_one_job_at_once(self, parts_pool, unique):
        running, overlaps, runs = 0, 0, []

        async def job() -> None:
            nonlocal running, overlaps
            running += 1
            overlaps += running > 1
            await asyncio.sleep(0.3)
            running -= 1
            runs.append(1)

        first, second = await asyncio.gather(scheduler.run_once(parts_pool, f"job-{unique}", job),
                                             scheduler.run_once(parts_pool, f"job-{unique}", job))

        assert sorted([first, second]) == [False, True]
        assert overlaps == 0 and len(runs) == 1
        assert await scheduler.run_once(parts_pool, f"job-{unique}", job) is True

    async def test_a_failing_round_is_logged_and_the_next_round_runs(self, parts_pool, unique):
        calls = 0

        async def job() -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("first round fails")

        task = asyncio.create_task(scheduler.run_periodically(parts_pool, f"job-{unique}", 0.05, job))
        for _ in range(100):
            if calls >= 2:
                break
            await asyncio.sleep(0.05)
        task.cancel()

        assert calls >= 2
