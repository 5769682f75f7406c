"""Guidance's rebuild (`service_layer.projection`) has a writer for every event guidance publishes, and a
referral's fold (`Referral.when`) refuses what is not a referral's."""

from __future__ import annotations

import inspect
from datetime import date
from uuid import uuid4

import pytest

from contracts.events.guidance import EVENTS, VisitFacts, VoluntaryStudiesAgreed
from guidance.domain.referral import REFERRAL_EVENT_TYPES, Referral
from guidance.service_layer import projection

pytestmark = pytest.mark.unit


def test_every_event_guidance_publishes_has_a_branch_in_the_rebuild():
    source = inspect.getsource(projection.GuidanceProjection.apply_batch)
    unhandled = [e.__name__ for e in EVENTS if e.TYPE not in REFERRAL_EVENT_TYPES and e.__name__ not in source
                 and not (issubclass(e, VisitFacts) and "VisitFacts" in source)]
    assert unhandled == []
    assert projection.OWN == {e.TYPE for e in EVENTS}


def test_every_referral_event_has_its_branch_in_the_fold():
    source = inspect.getsource(Referral._apply)
    assert [e.__name__ for e in EVENTS if e.TYPE in REFERRAL_EVENT_TYPES and f"case {e.__name__}():" not in source] == []


def test_a_referral_refuses_an_event_that_is_not_a_referrals():
    referral = Referral(uuid4(), uuid4())
    with pytest.raises(ValueError, match="VoluntaryStudiesAgreed"):
        referral.when(VoluntaryStudiesAgreed(service_code="voluntary.larkkulla", agreed_on=date(2026, 1, 5)))
    assert referral.version == 0
