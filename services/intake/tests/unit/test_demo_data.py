"""The demo seeder's people are invented, varied and valid registrations."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.fi import hetu

from contracts.ingress import REGISTRATION, PersonalData
from contracts.vocabulary import Language, Municipality, RegistrationSource
from intake.demo import demo_client

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)
DOZEN = [demo_client(n, TODAY) for n in range(12)]


def test_every_demo_client_is_a_valid_registration_of_its_source():
    for source, body in DOZEN:
        assert REGISTRATION.validate_python({k: v for k, v in body.items() if k != "person"}).source == source
        PersonalData.model_validate(body["person"])


def test_a_dozen_covers_every_language_municipality_and_source():
    assert {body["person"]["languages"][0] for _, body in DOZEN} == {language.value for language in Language}
    assert {body["home_municipality"] for _, body in DOZEN} == {m.value for m in Municipality}
    assert {source for source, _ in DOZEN} == {s.value for s in RegistrationSource}


def test_demo_people_are_obviously_invented_and_unreachable():
    people = [body["person"] for _, body in DOZEN]
    assert all(p["name"].startswith("Demo ") for p in people)
    assert all(p.get("email") is None or p["email"].endswith("@example.org") for p in people)
    assert all(900 <= int(p["identity_code"][7:10]) <= 999 for p in people)  # temporary codes only
    assert all(hetu.is_valid(p["identity_code"], allow_temporary=True) for p in people)


def test_demo_clients_stay_valid_however_many_the_server_already_holds():
    for n in range(0, 5000, 37):
        _, body = demo_client(n, TODAY)
        REGISTRATION.validate_python({k: v for k, v in body.items() if k != "person"})
        PersonalData.model_validate(body["person"])
