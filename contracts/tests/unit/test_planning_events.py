"""Planning's events: their invariants, and v1 plans read as the latest version."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.events.planning import PlanEnded, PlanEndReason, PlanExtended, PlanIssued
from contracts.registry import decode

pytestmark = pytest.mark.unit


class TestUpcastingPlans:
    def test_reads_a_v1_plan_issued_as_v2_with_unknown_content_and_limits(self, make_event, wrap):
        old = make_event("PlanIssued", 1)

        event = decode(wrap(old))

        assert type(event) is PlanIssued and event.VERSION == 2
        assert (event.starts_on, event.ends_on, event.goals) == (old.starts_on, old.ends_on, old.goals)
        assert event.first_starts_on == old.starts_on
        assert (event.services, event.agreed_on, event.maximum_on, event.review_due_on) == ((), None, None, None)

    def test_reads_a_v1_extension_as_v2_without_previous_end(self, make_event, wrap):
        old = make_event("PlanExtended", 1, reason="low_education_special_measures")

        event = decode(wrap(old))

        assert type(event) is PlanExtended
        assert (event.until, event.rule, event.previous_until, event.policy) == (old.until, "R15", None, None)

    def test_reads_a_v1_r16_extension_though_it_names_no_interruption(self, make_event, wrap):
        event = decode(wrap(make_event("PlanExtended", 1, reason="unable_to_carry_out")))

        assert (event.rule, event.interruption_id) == ("R16", None)

    def test_reads_a_v1_plan_ended_as_v2(self, make_event, wrap):
        event = decode(wrap(make_event("PlanEnded", 1, reason="client_declined")))

        assert type(event) is PlanEnded and event.reason is PlanEndReason.CLIENT_DECLINED

    def test_v1_plan_ended_does_not_know_the_new_reasons(self, make_event):
        with pytest.raises(ValidationError, match="reason"):
            make_event("PlanEnded", 1, reason="employment")


class TestPlanningInvariants:
    def test_r14_continued_period_names_r14(self, make_event):
        event = make_event("PlanExtended", reason="continued_within_maximum")

        assert event.rule == "R14"

    def test_r16_extension_alone_names_an_interruption(self, make_event):
        with pytest.raises(ValidationError, match="interruption_id"):
            make_event("PlanExtended", reason="self_motivated_studies", interruption_id=uuid4())
        assert make_event("PlanExtended", interruption_id=uuid4()).rule == "R16"

    def test_extension_must_move_the_end_later(self, make_event):
        with pytest.raises(ValidationError, match="until must be after previous_until"):
            make_event("PlanExtended", until=date(2027, 3, 31), previous_until=date(2027, 3, 31))

    def test_r25_refusal_flags_a_possible_cut_exactly_without_good_reason(self, make_event):
        assert make_event("PlanRefusalRecorded").rule == "R25"
        with pytest.raises(ValidationError, match="social_assistance_cut_possible"):
            make_event("PlanRefusalRecorded", good_reason=True, social_assistance_cut_possible=True)

    def test_r18_import_is_for_plans_made_before_2025(self, make_event):
        assert make_event("PlanImported", made_on=date(2024, 12, 31)).rule == "R18"
        with pytest.raises(ValidationError, match="made_on"):
            make_event("PlanImported", made_on=date(2025, 1, 1))

    def test_plan_issued_refuses_an_end_past_its_maximum(self, make_event):
        with pytest.raises(ValidationError, match="maximum_on"):
            make_event("PlanIssued", ends_on=date(2027, 4, 1), maximum_on=date(2027, 3, 31))

    def test_plan_issued_refuses_a_first_start_after_its_start(self, make_event):
        with pytest.raises(ValidationError, match="first_starts_on"):
            make_event("PlanIssued", first_starts_on=date(2025, 4, 2))

    @pytest.mark.parametrize(("deadline", "rule", "service"), [
        ("drawing_up", "R10", None), ("drawing_up_latest", "R11", None), ("referral", "R12", "civic_orientation.ar"),
        ("review", "R13", None)])
    def test_deadline_missed_names_the_rule_of_its_deadline(self, make_event, deadline, rule, service):
        assert make_event("PlanDeadlineMissed", deadline=deadline, service_code=service).rule == rule

    def test_r12_deadline_names_the_service_not_referred(self, make_event):
        with pytest.raises(ValidationError, match="service_code"):
            make_event("PlanDeadlineMissed", deadline="referral", service_code=None)
        with pytest.raises(ValidationError, match="service_code"):
            make_event("PlanDeadlineMissed", deadline="review", service_code="civic_orientation.ar")

    def test_interruption_refuses_an_end_before_its_start(self, make_event):
        with pytest.raises(ValidationError, match="to_on"):
            make_event("PlanInterruptionRecorded", from_on=date(2025, 6, 2), to_on=date(2025, 6, 1))

    def test_plan_opened_without_latest_day_for_r3(self, make_event):
        assert make_event("PlanOpened", latest_on=None).latest_on is None

    def test_handed_over_names_r5(self, make_event):
        assert make_event("PlanHandedOver", plan_id=uuid4()).rule == "R5"
