"""The demo seeder's people are invented, varied and valid registrations."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.vocabulary import Language, Municipality
from intake.demo import demo_client
from intake.entrypoints.schemas import ClientRegistration

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)
DOZEN = [demo_client(n, TODAY) for n in range(12)]


def test_every_demo_client_is_a_valid_registration():
    assert all(ClientRegistration.model_validate(c) for c in DOZEN)


def test_a_dozen_covers_every_programme_language_and_municipality():
    assert {c["languages"][0] for c in DOZEN} == {language.value for language in Language}
    assert {c["home_municipality"] for c in DOZEN} == {m.value for m in Municipality}


def test_demo_people_are_obviously_invented_and_unreachable():
    assert all(c["name"].startswith("Demo ") for c in DOZEN)
    assert all(c["email"] is None or c["email"].endswith("@example.org") for c in DOZEN)
    assert all(c["phone"] is None or c["phone"].startswith("+44 7700 900") for c in DOZEN)


def test_the_dozen_mixes_people_to_assess_with_people_offered_guidance_only():
    assert {bool(c["target_groups"]) for c in DOZEN} == {True, False}
