"""Guidance's events: the referral lifecycle, the catalogue's versions and the guidance log."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.events.guidance import ANONYMOUS_VISITS_STREAM_ID, CATALOGUE_STREAM_ID, ReferralCompleted
from contracts.registry import decode

pytestmark = pytest.mark.unit


def test_a_v1_completion_reads_as_v2_without_a_language_level(make_event, wrap):
    old = make_event("ReferralCompleted", 1)

    event = decode(Envelope.from_bytes(wrap(old).to_bytes()))

    assert isinstance(event, ReferralCompleted)
    assert (event.referral_id, event.outcome, event.language_level) == (old.referral_id, old.outcome, None)


def test_a_completion_refuses_a_level_off_the_scale(make_event):
    with pytest.raises(ValidationError, match="language_level"):
        make_event("ReferralCompleted", language_level="b1")


def test_a_queue_position_counts_from_one(make_event):
    with pytest.raises(ValidationError, match="queue_position"):
        make_event("ReferralWaitlisted", queue_position=0)


def test_a_service_with_fixed_starts_names_one(make_event):
    with pytest.raises(ValidationError, match="starts"):
        make_event("CatalogueServicePublished", starts=[])


def test_a_service_with_continuous_admission_has_no_fixed_starts(make_event):
    with pytest.raises(ValidationError, match="continuous admission"):
        make_event("CatalogueServicePublished", continuous_admission=True)

    assert make_event("CatalogueServicePublished", continuous_admission=True, starts=[], capacity=12).capacity == 12


def test_a_provider_code_fits_an_api_principal(make_event):
    with pytest.raises(ValidationError, match="provider_code"):
        make_event("CatalogueServicePublished", provider_code="MBI Raseborg")


def test_an_opening_closes_after_it_opens(make_event):
    with pytest.raises(ValidationError, match="closes_at"):
        make_event("OpeningHoursSet", slots=[{"weekday": 1, "opens_at": "15:00", "closes_at": "12:00"}])
    with pytest.raises(ValidationError, match="weekday"):
        make_event("OpeningHoursSet", slots=[{"weekday": 8, "opens_at": "12:00", "closes_at": "15:00"}])


def test_plan_referral_overdue_names_r12(make_event):
    assert make_event("PlanReferralOverdue").rule == "R12"
    with pytest.raises(ValidationError, match="rule"):
        make_event("PlanReferralOverdue", rule="R13")


def test_streams_without_a_person_have_fixed_ids_of_their_own():
    assert CATALOGUE_STREAM_ID != ANONYMOUS_VISITS_STREAM_ID
    assert CATALOGUE_STREAM_ID.version == ANONYMOUS_VISITS_STREAM_ID.version == 5


def test_an_anonymous_visit_counts_visitors_not_people(make_event):
    event = make_event("AnonymousVisitRecorded", visitors=3)

    assert event.visitors == 3 and not {"client_id", "person_id"} & set(type(event).model_fields)
    assert make_event("AnonymousVisitRecorded").visited_on == date(2025, 2, 11)
