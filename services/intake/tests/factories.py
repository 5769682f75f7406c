"""Keyword-argument factories shared by intake's tests. Every person here is invented."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from intake.adapters.clock import FixedClock
from intake.domain.model import PersonalDetails
from intake.service_layer.commands import RegisterClient

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday; 11:30 in Finland
TODAY = date(2026, 3, 2)


def clock(moment: datetime = NOW) -> FixedClock:
    return FixedClock(moment)


def personal(**overrides: Any) -> PersonalDetails:
    fields: dict[str, Any] = dict(name="Testi Esimerkki", date_of_birth=date(1988, 4, 17),
                                  email="testi.esimerkki@example.org", phone="+44 7700 900461")
    return PersonalDetails(**{**fields, **overrides})


def register_client(**overrides: Any) -> RegisterClient:
    fields: dict[str, Any] = dict(personal=personal(), home_municipality="hango", languages=("uk", "sv"),
                                  target_groups=("international_protection",),
                                  residence_permit_date=date(2025, 11, 20), source="refugee_placement",
                                  organisation="raseborg", correlation_id=uuid4(), client_id=uuid4())
    return RegisterClient(**{**fields, **overrides})


def registration_body(**overrides: Any) -> dict[str, Any]:
    """A valid `POST /clients` body; `None` overrides remove the field."""
    body: dict[str, Any] = {
        "name": "Testi Esimerkki", "date_of_birth": "1988-04-17", "email": "testi.esimerkki@example.org",
        "phone": "+44 7700 900461", "home_municipality": "hango", "languages": ["uk", "sv"],
        "residence_permit_date": "2025-11-20", "source": "refugee_placement",
        "target_groups": ["international_protection"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
