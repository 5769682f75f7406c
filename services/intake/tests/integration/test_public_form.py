"""The public contact form over real HTTP: no credential, answers in the person's language, field-level
errors, a rate limit per address, and no way to learn who is already a client."""

from __future__ import annotations

import httpx
import pytest

from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import free_port, intake_settings, serving
from tests.support.people import invent

pytestmark = pytest.mark.integration

FORM = PATHS["own_request"]
GUIDE = "https://guide.example"


@pytest.fixture(scope="module")  # this module's own intake: a fresh rate limit, and the public guide's origin
async def intake_url(infra):
    settings = intake_settings(infra, free_port()).model_copy(update={"public_origins": [GUIDE]})
    async with serving(settings) as url:
        yield url


@pytest.fixture
async def http(intake_url):
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        yield client


async def test_a_request_is_received_and_acknowledged_in_the_persons_language(http, intake_db):
    person = invent()

    response = await http.post(FORM, json=body("own_request", person), headers={"Accept-Language": "ar, en;q=0.5"})

    assert response.status_code == 202
    answer = response.json()
    assert answer["language"] == "ar" and "شكرًا" in answer["message"]
    row = await intake_db.fetchrow(
        """SELECT type, convert_from(envelope, 'UTF8')::jsonb -> 'payload' ->> 'source' AS source FROM event_store
           WHERE convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = $1""", answer["reference"])
    assert (row["type"], row["source"]) == ("ClientRegistered", "own_request")


async def test_the_answer_is_the_same_for_a_person_who_is_already_a_client(http):
    person = invent()
    first = (await http.post(FORM, json=body("own_request", person))).json()

    second = await http.post(FORM, json=body("own_request", person))

    assert second.status_code == 202
    assert set(second.json()) == set(first) == {"reference", "message", "language"}


async def test_errors_name_each_field_and_say_so_in_the_persons_language(http):
    response = await http.post(FORM, headers={"Accept-Language": "uk"}, json=body(
        "own_request", person_overrides={"email": "nope", "phone": "x"}, home_municipality="tampere"))

    assert response.status_code == 422
    answer = response.json()
    assert {tuple(e["loc"][1:]) for e in answer["detail"]} == {
        ("person", "email"), ("person", "phone"), ("home_municipality",)}
    assert answer["language"] == "uk" and answer["message"] == "Перевірте позначені поля."


async def test_an_organisations_source_cannot_be_sent_through_the_public_form(http):
    response = await http.post(FORM, json=body("kela_notification"))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "source"]


async def test_the_public_guides_pages_may_post_the_form_and_other_sites_may_not(http):
    allowed = await http.options(FORM, headers={"Origin": GUIDE, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    other = await http.options(FORM, headers={"Origin": "https://elsewhere.example",
                                              "Access-Control-Request-Method": "POST"})

    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == GUIDE
    assert "access-control-allow-origin" not in other.headers


async def test_too_many_requests_from_one_address_are_refused_with_retry_after(http):
    # The limit is 5 a minute per address, invalid requests included; this module's earlier tests used 5.
    refused = await http.post(FORM, json=body("own_request"), headers={"Accept-Language": "fi"})

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"]["language"] == "fi"
