"""The contact form without JavaScript: the guide's own checks, what it sends to intake (intake's own
request model accepts it), and intake's answers turned into messages next to the fields in the page's
language. Intake is a fake here (httpx.MockTransport); the browser tests use the real one."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import ValidationError

from guide import contact, i18n
from guide.tests.unit.conftest import mounted
from intake.entrypoints.schemas import OwnRequestForm

pytestmark = pytest.mark.unit

FORM = {"wish": "assessment", "name": "Aino Example", "date_of_birth": "24.12.1990", "identity_code": "",
        "home_municipality": "hango", "first_permit_date": "2025-03-01", "phone": "+358 40 123 4567",
        "email": "", "language": "ar", "interpreter_needed": "yes", "consent": "yes"}


def form(**changes: str) -> contact.Form:
    return contact.parse(urlencode({**FORM, **changes}).encode())


def test_a_filled_in_form_becomes_a_request_intakes_own_model_accepts():
    body = contact.check(form(), "sv")

    request = OwnRequestForm.model_validate(body)
    assert request.asks_for_assessment and request.home_municipality == "hango"
    assert request.person.date_of_birth.isoformat() == "1990-12-24"
    assert request.person.languages == ["ar"] and request.person.interpreter_needed


def test_the_form_asks_for_consent_and_sends_nothing_without_it():
    unticked = form(consent="")

    assert contact.check(unticked, "fi") is None
    assert unticked.errors == {"consent": "error.consent"}


def test_the_form_needs_a_way_to_reach_the_person():
    neither = form(phone="", email="")

    assert contact.check(neither, "en") is None
    assert neither.errors == {"phone": "error.contact_way", "email": "error.contact_way"}


def test_missing_required_fields_are_each_named():
    empty = contact.parse(b"consent=yes&email=a%40b.fi")

    assert contact.check(empty, "en") is None
    assert set(empty.errors) == {"wish", "name", "date_of_birth", "home_municipality", "first_permit_date"}


def test_unknown_fields_are_ignored_and_a_language_we_do_not_know_becomes_the_pages():
    body = contact.check(contact.parse(urlencode({**FORM, "language": "xx", "source": "kela_notification",
                                                  "admin": "1"}).encode()), "uk")

    assert body["source"] == "own_request" and body["person"]["languages"] == ["uk"] and "admin" not in body


def intake_errors(body: dict) -> list[dict]:
    """What intake answers with a 422: pydantic's errors under "body", without the input values."""
    try:
        OwnRequestForm.model_validate(body)
    except ValidationError as exc:
        return [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    raise AssertionError("valid")


def test_intakes_field_errors_land_on_the_forms_fields():
    body = contact.check(form(email="nope", phone="x", identity_code="241290-999X"), "en")

    errors = contact.field_errors(intake_errors(body))

    assert errors == {"email": "error.email", "phone": "error.phone", "identity_code": "error.identity_code"}


def test_a_birth_date_that_does_not_match_the_identity_code_is_put_on_the_identity_code():
    body = contact.check(form(identity_code="010190-123R", date_of_birth="02.01.1990"), "en")

    assert contact.field_errors(intake_errors(body)) == {"identity_code": "error.identity_code"}


def fake_intake(status: int, answer: dict, seen: list[httpx.Request] | None = None):
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=answer)
    return handle


async def post(guide: httpx.AsyncClient, language: str, **changes: str) -> httpx.Response:
    return await guide.post(f"/guide/{language}/contact", content=urlencode({**FORM, **changes}),
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "X-Forwarded-For": "198.51.100.1"})


async def test_a_sent_form_is_confirmed_in_the_pages_language_with_intakes_reference():
    seen: list[httpx.Request] = []
    reference = "0190a6b8-2f3e-7c1a-9b2d-4e5f60718293"
    async with mounted(intake=fake_intake(202, {"reference": reference, "message": "x", "language": "ar"},
                                          seen)) as guide:
        response = await post(guide, "ar")

    assert response.status_code == 200
    assert i18n.Translator("ar")("contact.sent_heading") in response.text and reference in response.text
    (request,) = seen
    assert str(request.url) == "http://intake.test/public/contact-requests"
    assert request.headers["accept-language"] == "ar"
    assert request.headers["x-forwarded-for"] == "203.0.113.7"  # the person's address, not one they claim
    assert json.loads(request.content)["person"]["name"] == "Aino Example"


async def test_intakes_field_errors_are_shown_next_to_the_field_in_the_pages_language():
    detail = [{"loc": ["body", "person", "email"], "msg": "String should match pattern", "type": "string_pattern_mismatch"}]
    async with mounted(intake=fake_intake(422, {"detail": detail})) as guide:
        response = await post(guide, "uk", email="bad@x")

    assert response.status_code == 422
    assert f'<p class="error" id="email-error">{i18n.Translator("uk")("error.email")}</p>' in response.text
    assert re.search(r'<input id="email"[^>]*aria-describedby="email-error" aria-invalid="true"', response.text)
    assert "String should match" not in response.text
    assert 'value="Aino Example"' in response.text  # nothing typed is lost


@pytest.mark.parametrize(("status", "key"), [(429, "error.too_many"), (500, "error.unavailable")])
async def test_intake_refusing_or_failing_keeps_the_form_and_says_so(status, key):
    async with mounted(intake=fake_intake(status, {"detail": "x"})) as guide:
        response = await post(guide, "fi")

    assert i18n.Translator("fi")(key) in response.text and 'value="Aino Example"' in response.text


async def test_intake_out_of_reach_keeps_the_form_and_says_so():
    def down(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async with mounted(intake=down) as guide:
        response = await post(guide, "sv")

    assert response.status_code == 503 and i18n.Translator("sv")("error.unavailable") in response.text


async def test_the_guides_own_errors_never_reach_intake():
    seen: list[httpx.Request] = []
    async with mounted(intake=fake_intake(202, {"reference": "r"}, seen)) as guide:
        response = await post(guide, "ar", consent="")

    assert seen == [] and response.status_code == 422
    assert i18n.Translator("ar")("error.consent") in response.text
    assert '<html lang="ar" dir="rtl">' in response.text


async def test_an_oversized_form_is_refused(guide):
    response = await guide.post("/guide/en/contact", content=b"name=" + b"a" * 20_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 413


def test_a_form_with_more_fields_than_ours_is_read_as_empty():
    assert contact.parse(b"&".join(b"f%d=1" % i for i in range(60))).values == {}
