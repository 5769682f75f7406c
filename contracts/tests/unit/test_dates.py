"""Every date has a plausible range, checked at the edge, with an error naming the field (issue 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.dates import today_in_finland
from contracts.ingress import REGISTRATION, IngressMessage, InvalidIngressMessage, PersonalData

pytestmark = pytest.mark.unit


def kela(**overrides) -> dict:
    today = today_in_finland()
    return {"source": "kela_notification", "home_municipality": "hango", "benefit": "social_assistance",
            "non_temporary": True, "decided_on": today.isoformat(),
            "first_permit_date": (today - timedelta(days=100)).isoformat(), **overrides}


def refused_fields(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        REGISTRATION.validate_python(data)
    return [str(e["loc"][-1]) for e in refused.value.errors()]


@pytest.mark.parametrize("day", ["9999-12-31", "9998-06-01", "2999-01-01"])
def test_a_far_future_first_permit_date_is_refused_naming_the_field(day):
    assert refused_fields(kela(first_permit_date=day)) == ["first_permit_date"]


def test_a_decision_dated_2999_is_refused_naming_the_field():
    assert refused_fields(kela(decided_on="2999-01-01")) == ["decided_on"]


def test_the_last_allowed_day_is_tomorrow_in_finland_and_the_day_after_is_refused():
    tomorrow = today_in_finland() + timedelta(days=1)

    REGISTRATION.validate_python(kela(decided_on=tomorrow.isoformat()))
    assert refused_fields(kela(decided_on=(tomorrow + timedelta(days=1)).isoformat())) == ["decided_on"]


def test_the_first_allowed_day_is_2000_01_01_and_the_day_before_is_refused():
    REGISTRATION.validate_python(kela(first_permit_date="2000-01-01"))
    assert refused_fields(kela(first_permit_date="1999-12-31")) == ["first_permit_date"]


def test_an_announced_placement_may_be_a_year_ahead_but_not_more():
    today = today_in_finland()
    placement = {"source": "refugee_placement", "home_municipality": "hango", "protection": "quota_refugee",
                 "first_permit_date": today.isoformat()}

    REGISTRATION.validate_python({**placement, "placed_on": (today + timedelta(days=366)).isoformat()})
    assert refused_fields({**placement, "placed_on": (today + timedelta(days=367)).isoformat()}) == ["placed_on"]


@pytest.mark.parametrize("name", ["\u0000", "\u0000\u0000", "Anna\u0000", "\u200b", "--"])
def test_a_name_without_letters_or_with_control_characters_is_refused_naming_the_field(name):
    with pytest.raises(ValidationError) as refused:
        PersonalData(name=name, date_of_birth="1990-01-01", languages=["ar"])

    assert [e["loc"] for e in refused.value.errors()] == [("name",)]


def test_a_birth_date_before_1900_or_after_today_is_refused():
    for day in ("1899-12-31", (today_in_finland() + timedelta(days=2)).isoformat()):
        with pytest.raises(ValidationError) as refused:
            PersonalData(name="Anna", date_of_birth=day, languages=["ar"])
        assert [e["loc"] for e in refused.value.errors()] == [("date_of_birth",)]


def test_an_ingress_message_sent_in_2999_is_a_contract_violation_naming_sent_at():
    raw = json.dumps({"message_id": str(uuid4()), "type": "Registration", "sent_at": "2999-01-01T00:00:00Z",
                      "body": kela(), "sealed": "x"}).encode()

    with pytest.raises(InvalidIngressMessage) as refused:
        IngressMessage.from_bytes(raw)

    assert "sent_at" in str(refused.value) and "2999" not in str(refused.value)


def test_an_ingress_message_sent_now_is_accepted():
    IngressMessage(message_id=uuid4(), type="Registration", sent_at=datetime.now(UTC), body=kela(), sealed="x")
