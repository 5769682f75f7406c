"""Builders shared by intake's tests. Every person is invented (tests.support.people)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.ingress import REGISTRATION, PersonalData
from backbone.clock import FixedClock, today_in_finland
from tests.support.people import Person, invent

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday; 11:30 in Finland
TODAY = date(2026, 3, 2)

PATHS = {
    "employment_region_jobseeker": "/registrations/jobseeker",
    "kela_notification": "/registrations/kela-notification",
    "refugee_placement": "/registrations/refugee-placement",
    "municipal_newcomer_notice": "/registrations/newcomer-notice",
    "authority_contact": "/registrations/authority-contact",
    "own_request": "/public/contact-requests",
}
"""Where each source is sent over HTTP."""

SENDERS = {
    "employment_region_jobseeker": "employment-region",
    "kela_notification": "kela",
    "refugee_placement": "hango",
    "municipal_newcomer_notice": "hango",
    "authority_contact": "luvn",
}
"""An organisation that owns each source (municipal sources: for a resident of Hanko)."""


def clock(moment: datetime = NOW) -> FixedClock:
    return FixedClock(moment)


def person_json(person: Person | None = None, **overrides: Any) -> dict[str, Any]:
    data = {**(person or invent()).personal_data(), **overrides}
    return {k: v for k, v in data.items() if v is not None or k == "identity_code"}


def personal(person: Person | None = None, **overrides: Any) -> PersonalData:
    return PersonalData.model_validate(person_json(person, **overrides))


def facts(source: str, *, today: date = TODAY, **overrides: Any) -> dict[str, Any]:
    """Valid facts of `source` about a resident of Hanko with a permit a year ago."""
    recent = (today - timedelta(days=3)).isoformat()
    common: dict[str, Any] = {"source": source, "home_municipality": "hango",
                              "first_permit_date": (today - timedelta(days=365)).isoformat(),
                              "moved_to_finland_on": (today - timedelta(days=400)).isoformat()}
    specific: dict[str, dict[str, Any]] = {
        "employment_region_jobseeker": {"registered_on": today.isoformat(), "service_point": "hanko"},
        "kela_notification": {"benefit": "social_assistance", "non_temporary": True, "decided_on": recent},
        "refugee_placement": {"protection": "quota_refugee", "placed_on": recent},
        "municipal_newcomer_notice": {"native_language": "ar", "moved_in_on": recent},
        "authority_contact": {"consent_given_on": recent, "needs_assessment": True},
        "own_request": {"asks_for_assessment": True},
    }
    return {**common, **specific[source], **overrides}


def registration(source: str, *, today: date = TODAY, **overrides: Any):
    return REGISTRATION.validate_python(facts(source, today=today, **overrides))


def body(source: str, person: Person | None = None, *, person_overrides: dict | None = None,
         **overrides: Any) -> dict[str, Any]:
    """A valid HTTP body for `source`: its facts and the person."""
    return {**facts(source, today=today_in_finland(), **overrides),
            "person": person_json(person, **(person_overrides or {}))}
