"""Keyword-argument factories of valid envelopes for tests across packages."""

from __future__ import annotations

import uuid
from datetime import date

from contracts.envelope import Envelope
from contracts.errors import InvalidEnvelope
from contracts.events.intake import ClientRegistered


def registered(client_id: uuid.UUID | None = None, *, correlation_id: uuid.UUID | None = None,
               **overrides) -> Envelope:
    client_id = client_id or uuid.uuid4()
    fields = dict(client_id=client_id, home_municipality="raseborg", languages=("ar",),
                  target_groups=("unemployed_jobseeker",), window_ends_on=date(2028, 5, 1),
                  source="employment_region_jobseeker", registered_on=date(2026, 11, 27),
                  responsible_organisation="employment-region", responsibility_reason="registered_jobseeker",
                  registered_jobseeker=True, luvn_participation_required=False, state="to_be_assessed",
                  state_reason="target_group_within_window", state_rule="R2", assessment_due_on=date(2026, 12, 4))
    fields.update(overrides)
    return Envelope.wrap(ClientRegistered(**fields), producer="intake", organisation="employment-region",
                         actor="officer-17", client_id=client_id, correlation_id=correlation_id or uuid.uuid4())


def envelopes(values) -> list[Envelope]:
    """The envelopes among records' bytes read from a topic, skipping what is not one: the topics are
    shared by every test of a run, and the fault tests put poison (garbage bytes, broken JSON) on every
    input topic, as a real sender's bug would."""
    found = []
    for raw in values:
        try:
            found.append(Envelope.from_bytes(raw or b""))
        except InvalidEnvelope:
            continue
    return found
