"""The public form's requests in the responsible organisation's worklist, over real HTTP: the officer finds the
client behind the reference a person quotes; no other organisation sees the request, not even by its reference;
a request of a person who is already a client goes to that client's organisation; an erased client's is gone."""

from __future__ import annotations

import pytest

from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import free_port, intake_settings, register, serving
from tests.support.people import invent

pytestmark = pytest.mark.integration

FORM = PATHS["own_request"]
WORKLIST = "/worklist/contact-requests"


@pytest.fixture(scope="module")  # this module's own intake (`http` and `as_` use it): a fresh rate limit for the form
async def intake_url(infra):
    async with serving(intake_settings(infra, free_port())) as url:
        yield url


async def ask(http, person=None, home: str = "raseborg") -> str:
    response = await http.post(FORM, json=body("own_request", person, home_municipality=home))
    assert response.status_code == 202, response.text
    return response.json()["reference"]


async def found(http, headers: dict, reference: str) -> list[dict]:
    response = await http.get(WORKLIST, params={"reference": reference}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_responsible_organisation_finds_the_client_by_the_reference_and_no_one_else_does(http, as_):
    reference = await ask(http)

    [request] = await found(http, await as_("raseborg"), reference)
    listed = (await http.get(WORKLIST, headers=await as_("raseborg", "officer"))).json()
    summary = (await http.get(f"/clients/{request['client_id']}", headers=await as_("raseborg"))).json()

    assert request["reference"] == reference and request["responsible_organisation"] == "raseborg"
    assert summary["sources"] == ["own_request"] and summary["responsible_organisation"] == "raseborg"
    assert reference in [r["reference"] for r in listed]
    for other in ("inga", "employment-region", "luvn", "kela"):
        assert await found(http, await as_(other), reference) == [], other
        listed = (await http.get(WORKLIST, headers=await as_(other))).json()
        assert reference not in [r["reference"] for r in listed], other
    assert [r["client_id"] for r in await found(http, await as_("operator", "operator"), reference)] == [
        request["client_id"]]


async def test_a_request_of_a_person_already_a_client_goes_to_the_organisation_responsible_for_them(http, as_):
    person = invent()
    registered = await register(http, as_, "employment_region_jobseeker", person, home_municipality="raseborg")
    assert registered.status_code == 201, registered.text

    reference = await ask(http, person)

    [request] = await found(http, await as_("employment-region"), reference)
    assert request["client_id"] == registered.json()["client_id"]
    assert request["responsible_organisation"] == "employment-region"
    assert await found(http, await as_("raseborg"), reference) == []


async def test_an_erased_clients_request_is_gone_from_the_worklist(http, as_):
    reference = await ask(http)
    [request] = await found(http, await as_("raseborg"), reference)

    erased = await http.post(f"/clients/{request['client_id']}/erasure", headers=await as_("raseborg", "officer"),
                             json={"basis": "client_request"})

    assert erased.status_code == 200, erased.text
    assert await found(http, await as_("raseborg"), reference) == []
    assert await found(http, await as_("operator", "operator"), reference) == []


async def test_bad_filters_are_refused_and_strangers_are_not_let_in(http, as_):
    bad_reference = await http.get(WORKLIST, params={"reference": "R-123"}, headers=await as_("raseborg"))
    too_far_back = await http.get(WORKLIST, params={"days": 367}, headers=await as_("raseborg"))
    anonymous = await http.get(WORKLIST)
    a_service = await http.get(WORKLIST, headers=await as_("notifications", "service"))

    assert (bad_reference.status_code, too_far_back.status_code) == (422, 422)
    assert bad_reference.json()["detail"][0]["loc"][-1] == "reference"
    assert (anonymous.status_code, a_service.status_code) == (401, 403)
