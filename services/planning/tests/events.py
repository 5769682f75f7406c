"""Envelopes of the events planning consumes, built from the contracts as their producers would."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from backbone.clock import today_in_finland
from contracts.envelope import Envelope
from contracts.events.assessment import AssessmentCompleted


def completed(client_id: uuid.UUID, cause: Envelope, *, plan_needed: bool = True,
              completed_on: date | None = None, luvn: bool = False) -> Envelope:
    """Assessment's completion for `client_id`, caused by (and in the correlation of) `cause`."""
    event = AssessmentCompleted(assessment_id=uuid.uuid4(), completed_on=completed_on or today_in_finland(),
                                plan_needed=plan_needed, luvn_participation_required=luvn,
                                service_needs=("civic_orientation",))
    return Envelope.wrap(event, producer="assessment", organisation=cause.organisation, actor="officer-3",
                         client_id=client_id, correlation_id=cause.correlation_id, causation_id=cause.event_id)


TODAY = today_in_finland()
SERVICES = ["civic_orientation.ar", "integration_training.sv"]


def issue_body(**overrides) -> dict:
    body = {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=180)),
            "goals": ["employment", "language_skills"], "services": SERVICES, "job_search_obligation": True,
            "follow_up": ["review_meetings"], "reasons": ["language_first"],
            "agreement": {"agreed_on": str(TODAY), "language": "ar", "interpreter": False},
            "note": "Haluaa ensin kielikurssille."}
    return {**body, **overrides}
