"""Operations events (DeadLetterRedriven) are published by whichever producing service they are about."""

from __future__ import annotations

import pytest

from contracts.errors import InvalidEnvelope
from contracts.registry import CATALOGUE
from contracts.topics import PRODUCING_SERVICES

from ..conftest import make_event, wrap

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", PRODUCING_SERVICES)
def test_every_producing_service_may_publish_a_dead_letter_redrive_about_itself(service):
    envelope = wrap(make_event("DeadLetterRedriven"), producer=service)

    assert CATALOGUE.decode(envelope) == make_event("DeadLetterRedriven")


def test_a_service_that_produces_no_events_may_not_publish_a_redrive():
    with pytest.raises(InvalidEnvelope, match="DeadLetterRedriven"):
        wrap(make_event("DeadLetterRedriven"), producer="audit")


def test_other_events_keep_their_single_producer():
    with pytest.raises(InvalidEnvelope, match="published by intake"):
        wrap(make_event("ClientRegistered"), producer="planning")
