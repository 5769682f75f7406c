"""kill -9 of the Kafka broker and a PostgreSQL restart under load: nothing lost, nothing doubled. Both are
the test profile's servers, shared by every test of the run, so these run last (`after_all`) and leave both
running and healthy. The default run does both, one after the other, under one small load; the opt-in runs
(`make test-load`) each under a large load, down for a minute."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.faults.conftest import LARGE, SMALL, under_load
from tests.support import faults

pytestmark = [pytest.mark.e2e, pytest.mark.after_all]


@pytest.fixture
def infrastructure_restored(infra):
    yield
    faults.ensure_infrastructure(infra)


@pytest.mark.timeout(900)
async def test_kill_9_of_the_broker_then_a_postgresql_restart_under_load_lose_and_double_nothing(
        faulty, infrastructure_restored):
    async def broker_killed_then_database_restarted() -> None:
        await faults.kill_broker(faulty.infra, down_s=2)
        await asyncio.sleep(5)
        await faults.restart_postgres(faulty.infra, down_s=2)

    outcome = await under_load(faulty, SMALL, broker_killed_then_database_restarted)

    # A broker killed between writing a record and acknowledging it fails the relay's send: the relay reads its
    # topic back before it sends again, so each event id is on its topic once (`bus:*`, counted strictly). An
    # e-mail the SMTP server took just as the database went away is sent again (same Message-ID): SMTP's one
    # duplicate window.
    outcome.assert_nothing_lost_or_doubled(allowed_duplicates=("email:",))
    assert not any(k.startswith(("sms:", "unrecorded:sms")) for k in outcome.report.duplicated), outcome.report


@pytest.mark.load
@pytest.mark.timeout(7200)
async def test_kill_9_of_the_broker_down_for_a_minute_under_a_large_load(faulty, infrastructure_restored):
    outcome = await under_load(faulty, LARGE, lambda: faults.kill_broker(faulty.infra, down_s=60))
    outcome.assert_nothing_lost_or_doubled(allowed_duplicates=("email:",))  # as above


@pytest.mark.load
@pytest.mark.timeout(7200)
async def test_postgresql_down_for_a_minute_under_a_large_load(faulty, infrastructure_restored):
    outcome = await under_load(faulty, LARGE, lambda: faults.restart_postgres(faulty.infra, down_s=60))
    outcome.assert_nothing_lost_or_doubled(allowed_duplicates=("email:",))  # SMTP's window, see above
