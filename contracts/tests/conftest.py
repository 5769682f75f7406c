"""Keyword-argument factories for a valid instance of every event version in the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import CATALOGUE

CLIENT_ID = UUID("0190a6b8-2f3e-7c1a-9b2d-4e5f60718293")

_SERVICE = {
    "service_code": "integration_training.karis", "kind": "integration_training", "provider_code": "procured-trainer",
    "places": ["karis"], "languages": ["fi", "sv"], "paces": ["normal", "slow"], "audiences": ["jobseekers"],
    "continuous_admission": False, "starts": [{"starts_on": date(2025, 8, 11), "pace": "normal", "capacity": 16}],
    "target_level": "b1.1", "available_from": date(2025, 1, 1), "available_until": date(2028, 12, 31),
}

_DEFAULTS: dict[tuple[str, int], Callable[[], dict[str, Any]]] = {
    ("ClientRegistered", 1): lambda: {
        "client_id": CLIENT_ID,
        "home_municipality": "hango",
        "language": "ru",
        "target_groups": ["unemployed_jobseeker"],
        "window_ends_on": date(2027, 3, 1),
        "source": "employment_region_jobseeker",
        "responsible_organisation": "employment-region",
    },
    ("ClientRegistered", 2): lambda: {
        "client_id": CLIENT_ID,
        "home_municipality": "raseborg",
        "languages": ["ar", "sv"],
        "target_groups": ["international_protection", "family_member"],
        "window_ends_on": date(2028, 1, 15),
        "source": "refugee_placement",
        "responsible_organisation": "raseborg",
        "luvn_participation_required": True,
        "state": "to_be_assessed",
        "assessment_due_on": date(2025, 3, 10),
    },
    ("ClientRegistered", 3): lambda: {
        "client_id": CLIENT_ID,
        "home_municipality": "hango",
        "languages": ["ar", "sv"],
        "target_groups": ["international_protection", "family_member"],
        "window_ends_on": date(2028, 1, 15),
        "source": "refugee_placement",
        "registered_on": date(2025, 3, 3),
        "responsible_organisation": "raseborg",
        "responsibility_reason": "service_agreement",
        "registered_jobseeker": False,
        "luvn_participation_required": True,
        "state": "to_be_assessed",
        "state_reason": "target_group_within_window",
        "state_rule": "R2",
        "assessment_due_on": date(2025, 3, 10),
    },
    ("ClientSourceAdded", 1): lambda: {
        "source": "employment_region_jobseeker",
        "registered_on": date(2025, 4, 1),
        "target_groups": ["international_protection", "unemployed_jobseeker"],
        "luvn_participation_required": True,
        "state": "to_be_assessed",
        "state_reason": "target_group_within_window",
        "state_rule": "R2",
        "assessment_due_on": date(2025, 4, 8),
    },
    ("ClientDetailsChanged", 1): lambda: {"languages": ["uk", "fi"], "home_municipality": "inga"},
    ("ClientDetailsChanged", 2): lambda: {"languages": ["uk", "fi"], "registered_jobseeker": True},
    ("ResponsibilityAssigned", 2): lambda: {
        "previous_organisation": "raseborg",
        "responsible_organisation": "employment-region",
        "effective_on": date(2025, 2, 3),
        "reason": "registered_as_jobseeker",
    },
    ("ClientRelationshipEnded", 1): lambda: {"ended_on": date(2025, 6, 30), "reason": "services_completed",
                                             "erase_on": date(2029, 6, 30)},
    ("ResponsibilityAssigned", 1): lambda: {
        "responsible_organisation": "raseborg",
        "effective_on": date(2025, 2, 3),
        "reason": "service_agreement",
    },
    ("PossibleDuplicateFlagged", 1): lambda: {"other_client_id": uuid4(), "matched_on": "name_and_birth_date"},
    ("DuplicateResolved", 1): lambda: {"other_client_id": uuid4(), "resolution": "not_duplicate"},
    ("ClientErased", 1): lambda: {"erased_on": date(2025, 5, 2), "basis": "client_request"},
    ("ResponsibilityClaimed", 1): lambda: {"claim_id": uuid4(), "claimant": "inga", "home_municipality": "inga",
                                           "moved_on": date(2025, 5, 2), "objection_deadline": date(2025, 5, 16)},
    ("ClaimAccepted", 1): lambda: {"claim_id": uuid4(), "accepted_by": "deadline"},
    ("ClaimObjected", 1): lambda: {"claim_id": uuid4(), "reason": "not_moved"},
    ("AssessmentStarted", 1): lambda: {
        "assessment_id": uuid4(),
        "started_on": date(2025, 3, 4),
        "responsible_organisation": "raseborg",
        "luvn_participates": True,
        "language": "ar",
        "interpreter": True,
    },
    ("AssessmentCompleted", 1): lambda: {
        "assessment_id": uuid4(),
        "completed_on": date(2025, 3, 20),
        "plan_needed": True,
        "luvn_participation_required": True,
        "service_needs": ["civic_orientation", "literacy_training"],
    },
    ("InitialInterviewScheduled", 1): lambda: {
        "interview_id": uuid4(),
        "scheduled_at": datetime(2025, 3, 6, 9, 30, tzinfo=UTC),
        "due_on": date(2025, 3, 7),
        "language": "et",
        "interpreter": False,
    },
    ("InitialInterviewScheduled", 2): lambda: {
        "interview_id": uuid4(),
        "assessment_id": uuid4(),
        "scheduled_at": datetime(2025, 3, 6, 9, 30, tzinfo=UTC),
        "place": "karis",
        "responsible_organisation": "employment-region",
        "due_on": date(2025, 3, 7),
        "due_rule": "R9",
        "language": "ar",
        "interpreter": True,
        "interpreter_language": "ar",
        "cancellation_instructions_given": True,
    },
    ("AssessmentCaseOpened", 1): lambda: {
        "assessment_id": uuid4(),
        "opened_on": date(2025, 3, 3),
        "due_on": date(2025, 3, 10),
        "due_rule": "R8",
        "responsible_organisation": "raseborg",
        "luvn_participation_required": True,
    },
    ("InterpreterBooked", 1): lambda: {"interview_id": uuid4(), "assessment_id": uuid4(), "language": "ar",
                                       "mode": "on_site"},
    ("ClientInformed", 1): lambda: {"assessment_id": uuid4(), "interview_id": uuid4(), "informed_on": date(2025, 3, 6),
                                    "topics": ["goals", "plan_process", "plan_binding", "rights_and_duties",
                                               "data_handling"]},
    ("NoShowRecorded", 1): lambda: {"assessment_id": uuid4(), "interview_id": uuid4(), "kind": "no_show",
                                    "missed_on": date(2025, 3, 6), "justified": False, "fee_cents": 5670},
    ("RepeatedNoShowFlagged", 1): lambda: {"assessment_id": uuid4(), "first_missed_on": date(2025, 3, 6),
                                           "second_missed_on": date(2025, 9, 1)},
    ("LuvnParticipationConfirmed", 1): lambda: {"assessment_id": uuid4(), "confirmed_on": date(2025, 3, 12)},
    ("AssessmentReopened", 1): lambda: {"assessment_id": uuid4(), "reopened_on": date(2025, 4, 2),
                                        "reason": "situation_changed"},
    ("DeadlineMissed", 1): lambda: {"deadline": "plan_review", "due_on": date(2025, 9, 20), "subject_id": uuid4()},
    ("PlanIssued", 1): lambda: {
        "plan_id": uuid4(),
        "starts_on": date(2025, 4, 1),
        "ends_on": date(2026, 3, 31),
        "responsible_organisation": "raseborg",
        "goals": ["language_skills", "working_life_readiness"],
        "luvn_participation": True,
    },
    ("PlanExtended", 1): lambda: {"plan_id": uuid4(), "until": date(2028, 3, 31), "reason": "unable_to_carry_out"},
    ("PlanEnded", 1): lambda: {"plan_id": uuid4(), "ended_on": date(2027, 3, 31), "reason": "goals_reached"},
    ("PlanIssued", 2): lambda: {
        "plan_id": uuid4(),
        "starts_on": date(2025, 4, 1),
        "ends_on": date(2026, 3, 31),
        "responsible_organisation": "raseborg",
        "goals": ["language_skills", "working_life_readiness"],
        "luvn_participation": True,
        "services": ["civic_orientation.ar", "integration_training.sv"],
        "job_search_obligation": False,
        "follow_up": ["review_meetings"],
        "reasons": ["language_first"],
        "agreed_on": date(2025, 3, 31),
        "language": "ar",
        "interpreter": True,
        "first_starts_on": date(2025, 4, 1),
        "maximum_on": date(2027, 3, 31),
        "maximum_rule": "R14",
        "review_due_on": date(2025, 10, 1),
        "referrals_due_on": date(2025, 5, 1),
    },
    ("PlanExtended", 2): lambda: {"plan_id": uuid4(), "until": date(2028, 3, 31), "reason": "unable_to_carry_out",
                                  "previous_until": date(2027, 3, 31), "maximum_on": date(2028, 3, 31)},
    ("PlanEnded", 2): lambda: {"plan_id": uuid4(), "ended_on": date(2027, 3, 31), "reason": "employment"},
    ("PlanOpened", 1): lambda: {"plan_id": uuid4(), "assessment_id": uuid4(), "opened_on": date(2025, 3, 20),
                                "due_on": date(2025, 4, 3), "latest_on": date(2027, 1, 15),
                                "responsible_organisation": "raseborg", "luvn_participation": True},
    ("PlanAgreementRecorded", 1): lambda: {"plan_id": uuid4(), "agreed_on": date(2025, 3, 31), "language": "ar",
                                           "interpreter": True},
    ("PlanRefusalRecorded", 1): lambda: {"plan_id": uuid4(), "refused_on": date(2025, 3, 31), "good_reason": False,
                                         "social_assistance_cut_possible": True},
    ("PlanImported", 1): lambda: {
        "plan_id": uuid4(),
        "made_on": date(2024, 6, 1),
        "first_starts_on": date(2024, 6, 1),
        "starts_on": date(2024, 6, 1),
        "ends_on": date(2025, 5, 31),
        "responsible_organisation": "hango",
        "goals": ["employment"],
        "services": ["integration_training.fi"],
        "job_search_obligation": True,
        "luvn_participation": False,
        "reviewed": False,
        "maximum_on": date(2027, 6, 1),
        "maximum_rule": "R18",
        "review_due_on": date(2024, 12, 1),
    },
    ("PlanReviewed", 1): lambda: {"plan_id": uuid4(), "reviewed_on": date(2025, 9, 30), "occasion": "scheduled",
                                  "next_review_due_on": date(2026, 3, 30), "maximum_on": date(2027, 3, 31),
                                  "maximum_rule": "R14"},
    ("PlanInterruptionRecorded", 1): lambda: {"plan_id": uuid4(), "interruption_id": uuid4(), "cause": "illness",
                                              "from_on": date(2025, 6, 1), "to_on": date(2025, 7, 15)},
    ("PlanDeadlineMissed", 1): lambda: {"plan_id": uuid4(), "deadline": "referral", "due_on": date(2025, 5, 1),
                                        "service_code": "civic_orientation.ar"},
    ("PlanHandedOver", 1): lambda: {"plan_id": uuid4(), "previous_organisation": "employment-region",
                                    "responsible_organisation": "raseborg", "effective_on": date(2025, 8, 1)},
    ("ReferralMade", 1): lambda: {
        "referral_id": uuid4(),
        "plan_id": uuid4(),
        "service_code": "civic_orientation.ar",
        "provider_code": "mbi-raseborg",
        "referred_on": date(2025, 4, 10),
        "language": "ar",
    },
    ("ReferralAccepted", 1): lambda: {"referral_id": uuid4(), "accepted_on": date(2025, 4, 14)},
    ("ReferralCompleted", 1): lambda: {
        "referral_id": uuid4(),
        "completed_on": date(2025, 9, 30),
        "outcome": "completed",
    },
    ("ReferralCompleted", 2): lambda: {
        "referral_id": uuid4(),
        "completed_on": date(2026, 1, 30),
        "outcome": "completed",
        "language_level": "b1.1",
    },
    ("ReferralWaitlisted", 1): lambda: {
        "referral_id": uuid4(), "waitlisted_on": date(2025, 4, 14), "starts_on": date(2025, 8, 11),
        "queue_position": 3, "expected_start": date(2026, 1, 12),
    },
    ("ReferralQueueMoved", 1): lambda: {
        "referral_id": uuid4(), "moved_on": date(2025, 5, 2), "queue_position": 1, "expected_start": date(2025, 8, 11),
    },
    ("ReferralStarted", 1): lambda: {"referral_id": uuid4(), "started_on": date(2025, 8, 11)},
    ("ReferralRejected", 1): lambda: {"referral_id": uuid4(), "rejected_on": date(2025, 4, 14),
                                      "reason": "level_not_suitable"},
    ("ReferralCancelled", 1): lambda: {"referral_id": uuid4(), "cancelled_on": date(2025, 5, 2),
                                       "reason": "client_withdrew", "cancelled_by": "officer"},
    ("ReferralOverdue", 1): lambda: {"referral_id": uuid4(), "kind": "no_answer", "due_on": date(2025, 4, 24)},
    ("PlanReferralOverdue", 1): lambda: {"plan_id": uuid4(), "drawn_up_on": date(2025, 4, 1),
                                         "due_on": date(2025, 5, 2)},
    ("VoluntaryStudiesAgreed", 1): lambda: {"service_code": "voluntary.larkkulla.sv-fi", "agreed_on": date(2025, 4, 9)},
    ("AnonymousVisitRecorded", 1): lambda: {
        "visit_id": uuid4(), "visited_on": date(2025, 2, 11), "mode": "drop_in", "place": "hango",
        "topics": ["residence_permit"], "language": "et", "interpreter": False, "visitors": 1,
    },
    ("CatalogueServicePublished", 1): lambda: dict(_SERVICE, catalogue_version=1),
    ("CatalogueServiceChanged", 1): lambda: dict(_SERVICE, catalogue_version=2),
    ("CatalogueServiceWithdrawn", 1): lambda: {"service_code": "integration_training.karis", "catalogue_version": 3,
                                               "withdrawn_on": date(2028, 12, 31)},
    ("OpeningHoursSet", 1): lambda: {
        "place": "karis", "kind": "drop_in", "catalogue_version": 1,
        "slots": [{"weekday": 2, "opens_at": "12:00", "closes_at": "15:30"},
                  {"weekday": 4, "opens_at": "12:00", "closes_at": "15:30"}],
    },
    ("CounsellingVisitRecorded", 1): lambda: {
        "visit_id": uuid4(),
        "visited_on": date(2025, 2, 11),
        "mode": "drop_in",
        "place": "karis",
        "topics": ["housing", "day_care_and_school"],
        "language": "th",
        "interpreter": False,
    },
    ("NotificationSent", 1): lambda: {
        "notification_id": uuid4(),
        "channel": "sms",
        "template_code": "plan_issued",
        "language": "uk",
        "sent_at": datetime(2025, 4, 1, 12, 0, tzinfo=UTC),
    },
    ("NotificationFailed", 1): lambda: {
        "notification_id": uuid4(),
        "channel": "email",
        "template_code": "plan_issued",
        "reason": "provider_unavailable",
        "attempts": 3,
        "final": False,
    },
    ("NotificationDelivered", 1): lambda: {
        "notification_id": uuid4(),
        "channel": "sms",
        "template_code": "interview_invitation",
        "language": "ar",
        "delivered_at": datetime(2025, 4, 1, 12, 1, tzinfo=UTC),
    },
    ("DeadLetterRedriven", 1): lambda: {
        "dead_letter_topic": "deadletter.planning.v1",
        "dead_letter_partition": 0,
        "dead_letter_offset": 17,
        "source_topic": "integration.intake.v1",
        "source_partition": 2,
        "source_offset": 40,
        "consumer": "planning.clients",
        "outcome": "applied",
        "redrives": 1,
    },
}


def make_event(type_: str, version: int | None = None, **overrides: Any) -> Event:
    """A valid event of `type_` (latest version unless given), with `overrides` applied."""
    model = CATALOGUE.model(type_, version)
    return model(**{**_DEFAULTS[(type_, model.VERSION)](), **overrides})


def wrap(event: Event, **overrides: Any) -> Envelope:
    """An envelope around `event` from its own producer, for `CLIENT_ID`."""
    context = {
        "producer": event.PRODUCER,
        "organisation": "raseborg",
        "actor": "officer-7f3a",
        "client_id": CLIENT_ID,
        "correlation_id": uuid4(),
    }
    return Envelope.wrap(event, **{**context, **overrides})


@pytest.fixture(name="make_event")
def make_event_fixture() -> Callable[..., Event]:
    return make_event


@pytest.fixture(name="wrap")
def wrap_fixture() -> Callable[..., Envelope]:
    return wrap
