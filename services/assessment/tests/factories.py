"""Intake's events as assessment receives them, for assessment's tests. Codes, dates and ids only."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientRegistered, ClientSourceAdded


def from_intake(event: Event, client_id: UUID, organisation: str = "raseborg") -> Envelope:
    return Envelope.wrap(event, producer="intake", organisation=organisation, actor="system", client_id=client_id,
                         correlation_id=uuid4())


def registered(client_id: UUID, *, state: str = "to_be_assessed", registered_on: date = date(2026, 3, 2),
               jobseeker: bool = False, organisation: str = "raseborg", **overrides: Any) -> Envelope:
    to_be_assessed = state == "to_be_assessed"
    fields: dict[str, Any] = {
        "client_id": client_id, "home_municipality": "raseborg", "languages": ("ar", "en"),
        "target_groups": ("unemployed_jobseeker",) if jobseeker else (("family_member",) if to_be_assessed else ()),
        "window_ends_on": date(2029, 1, 31),
        "source": "employment_region_jobseeker" if jobseeker else "municipal_newcomer_notice",
        "registered_on": registered_on, "responsible_organisation": "employment-region" if jobseeker else organisation,
        "responsibility_reason": "registered_jobseeker" if jobseeker else "own_municipal_services",
        "registered_jobseeker": jobseeker, "luvn_participation_required": False, "state": state,
        "state_reason": "target_group_within_window" if to_be_assessed else "no_target_group",
        "state_rule": "R2" if to_be_assessed else "R1", "assessment_due_on": registered_on if to_be_assessed else None,
    }
    return from_intake(ClientRegistered(**{**fields, **overrides}), client_id)


def source_added(client_id: UUID, *, registered_on: date, source: str = "kela_notification",
                 target_groups: tuple[str, ...] = ("social_assistance",)) -> Envelope:
    return from_intake(ClientSourceAdded(
        source=source, registered_on=registered_on, target_groups=target_groups,
        luvn_participation_required=True, state="to_be_assessed", state_reason="target_group_within_window",
        state_rule="R2", assessment_due_on=registered_on), client_id)


def new_client() -> UUID:
    return uuid4()
