"""Assessment's events: what notifications needs to invite a client, and the rules the payloads carry."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.events.assessment import InitialInterviewScheduled
from contracts.registry import decode

pytestmark = pytest.mark.unit


class TestInitialInterviewScheduled:
    def test_carries_time_place_language_interpreter_and_the_r26_cancellation_instructions(self, make_event):
        event = make_event("InitialInterviewScheduled")

        assert event.VERSION == 2
        assert (event.place, event.language, event.interpreter, event.interpreter_language) == ("karis", "ar", True,
                                                                                                 "ar")
        assert event.cancellation_instructions_given is True
        assert event.scheduled_at.tzinfo is not None

    def test_refuses_an_interpreter_language_without_an_interpreter(self, make_event):
        with pytest.raises(ValidationError, match="interpreter_language"):
            make_event("InitialInterviewScheduled", interpreter=False, interpreter_language="ar")

    @pytest.mark.parametrize("place", ["Karis", "helsinki", "Ekenäs"])
    def test_refuses_a_place_that_is_not_a_service_point_code(self, make_event, place):
        with pytest.raises(ValidationError, match="place"):
            make_event("InitialInterviewScheduled", place=place)

    def test_reads_v1_as_v2_without_cancellation_instructions_so_no_r26_fee_can_follow(self, make_event, wrap):
        old = make_event("InitialInterviewScheduled", 1)

        event = decode(wrap(old))

        assert type(event) is InitialInterviewScheduled
        assert (event.interview_id, event.scheduled_at, event.due_on) == (old.interview_id, old.scheduled_at,
                                                                         old.due_on)
        assert event.cancellation_instructions_given is False
        assert (event.assessment_id, event.place, event.due_rule) == (None, None, None)


class TestNoShowRecorded:
    def test_r26_fee_is_at_most_5670_cents(self, make_event):
        assert make_event("NoShowRecorded", fee_cents=5670).fee_cents == 5670
        with pytest.raises(ValidationError, match="fee_cents"):
            make_event("NoShowRecorded", fee_cents=5671)

    def test_r26_fee_is_never_negative(self, make_event):
        with pytest.raises(ValidationError, match="fee_cents"):
            make_event("NoShowRecorded", fee_cents=-1)

    def test_names_rule_r26(self, make_event):
        assert make_event("NoShowRecorded").fee_rule == "R26"


class TestRulesInPayloads:
    @pytest.mark.parametrize(("type_", "field", "rule"), [
        ("RepeatedNoShowFlagged", "rule", "R24"),
        ("LuvnParticipationConfirmed", "rule", "R6"),
        ("ClientInformed", "rule", "R28"),
        ("InterpreterBooked", "rule", "R27"),
    ])
    def test_names_its_rule_and_refuses_another(self, make_event, type_, field, rule):
        assert getattr(make_event(type_), field) == rule
        with pytest.raises(ValidationError, match=field):
            make_event(type_, **{field: "R1"})

    def test_r24_flag_is_for_the_employment_region_only(self, make_event):
        with pytest.raises(ValidationError, match="for_organisation"):
            make_event("RepeatedNoShowFlagged", for_organisation="raseborg")

    def test_r28_information_needs_at_least_one_topic(self, make_event):
        with pytest.raises(ValidationError, match="topics"):
            make_event("ClientInformed", topics=[])
