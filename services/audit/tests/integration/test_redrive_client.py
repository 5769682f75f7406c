"""The console's redrive call over real HTTP against a small fake of the services' route."""

from __future__ import annotations

import pytest

from audit.adapters.redrive_client import redrive
from services.audit.tests.console_support import FakeService

pytestmark = pytest.mark.integration

TOKEN = "bb_AAAAAAAAAAAA_" + "a" * 43


@pytest.fixture
def fake():
    service = FakeService().start()
    yield service
    service.stop()


@pytest.mark.parametrize("outcome", ["applied", "already-applied", "dead-lettered-again"])
async def test_the_services_outcome_is_returned_and_the_call_names_partition_offset_and_credential(fake, outcome):
    fake.outcome = outcome

    answer = await redrive(fake.url, TOKEN, 0, 41)

    assert answer.outcome == outcome
    assert fake.calls == [{"path": "/admin/dead-letters/redrive", "authorization": f"Bearer {TOKEN}",
                           "body": {"partition": 0, "offset": 41}}]


@pytest.mark.parametrize(("status", "outcome"), [(404, "not-found"), (409, "not-redrivable"), (503, "unavailable"),
                                                 (403, "refused"), (401, "refused"), (500, "error")])
async def test_a_refusal_or_failure_is_named(fake, status, outcome):
    fake.status, fake.detail = status, "dead letter kept no content"

    answer = await redrive(fake.url, TOKEN, 0, 1)

    assert answer.outcome == outcome


async def test_an_unknown_outcome_is_not_passed_off_as_one(fake):
    fake.outcome = "maybe"

    assert (await redrive(fake.url, TOKEN, 0, 1)).outcome == "error"


async def test_a_service_that_does_not_answer_is_reported_unreachable(fake):
    url = fake.url
    fake.stop()
    fake.start()  # a fresh port; the old one is closed

    answer = await redrive(url, TOKEN, 0, 1, timeout_s=2)

    assert answer.outcome == "unreachable"
