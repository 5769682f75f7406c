"""`POST /clients` bodies are validated field by field before anything else happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from intake.adapters.clock import today_in_finland
from intake.entrypoints.schemas import ClientRegistration
from services.intake.tests.factories import registration_body

pytestmark = pytest.mark.unit

TOMORROW = (today_in_finland() + timedelta(days=1)).isoformat()

INVALID = {
    "name": [{"name": ""}, {"name": "   "}, {"name": "x" * 201}],
    "date_of_birth": [{"date_of_birth": TOMORROW}, {"date_of_birth": "17.4.1988"}],
    "home_municipality": [{"home_municipality": "helsinki"}],
    "languages": [{"languages": []}, {"languages": ["swedish"]}, {"languages": "sv"}],
    "email": [{"email": "not-an-address"}, {"email": "a@b"}, {"email": "two@@example.org"}],
    "phone": [{"phone": "call me"}, {"phone": "12"}],
    "residence_permit_date": [{"residence_permit_date": None}],
    "source": [{"source": "rumour"}],
    "target_groups": [{"target_groups": ["tourist"]}],
}


def invalid_fields(body: dict) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        ClientRegistration.model_validate(body)
    return {str(error["loc"][0]) for error in refused.value.errors()}


class TestClientRegistration:
    def test_a_complete_body_is_accepted_with_its_values_tidied(self):
        body = registration_body(name="  Testi Esimerkki ", languages=["uk", "sv", "uk"], email=None, phone=None)

        registration = ClientRegistration.model_validate(body)

        assert (registration.name, registration.languages, registration.email) == ("Testi Esimerkki", ["uk", "sv"],
                                                                                  None)

    def test_target_groups_may_be_left_out_for_guidance_only(self):
        registration = ClientRegistration.model_validate(registration_body(target_groups=None))

        assert registration.target_groups == []

    @pytest.mark.parametrize(("field", "change"), [(f, c) for f, cs in INVALID.items() for c in cs],
                             ids=lambda v: v if isinstance(v, str) else "")
    def test_an_invalid_field_is_refused_by_name(self, field, change):
        assert invalid_fields(registration_body(**change)) == {field}

    def test_an_unknown_field_is_refused(self):
        assert invalid_fields({**registration_body(), "personal_identity_code": "010190-123A"}) == {
            "personal_identity_code"}
