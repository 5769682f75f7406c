"""Assessment's rules at the edges mutation testing found unchecked (issue 17): each test fails when its
rule is broken there — a boundary moved, a check dropped, a calendar month counted wrong."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from backbone.workdays import WorkingDays
from contracts.events.assessment import InformationTopic
from assessment.domain import rules
from assessment.domain.errors import Refused

pytestmark = pytest.mark.unit

CALENDAR = WorkingDays()
EVERY_TOPIC = list(InformationTopic)


def complete(**changes) -> None:
    facts = {"interview_held": True, "information_given": EVERY_TOPIC, "competence_recorded": True,
             "luvn_required": False, "luvn_confirmed": False}
    rules.check_completion(**{**facts, **changes})


class TestR8TargetSetting:
    def test_r8_a_target_of_zero_days_is_the_registration_day_itself(self):
        # Monday 3 March 2025 is a working day.
        assert rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=False, calendar=CALENDAR,
                                      target_working_days=0) == (date(2025, 3, 3), "R8")

    @pytest.mark.parametrize("target", [-1, -2])
    def test_r8_a_negative_target_is_refused_naming_the_setting(self, target):
        with pytest.raises(ValueError, match="target_working_days must be at least 0"):
            rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=False, calendar=CALENDAR,
                                   target_working_days=target)

    def test_r8_a_case_is_opened_for_a_state_read_from_a_message_not_only_a_literal(self):
        state = "".join(["to_be", "_assessed"])  # built at run time, as a decoded event's field is

        assert rules.case_needed(state) is True
        assert rules.case_needed("to_be_assessed ") is False


class TestCompletion:
    def test_completion_is_refused_before_the_initial_interview(self):
        with pytest.raises(Refused, match="initial interview must be held") as refused:
            complete(interview_held=False)
        assert refused.value.rule == "process.interview"

    def test_completion_is_refused_before_the_competence_is_recorded(self):
        with pytest.raises(Refused, match="competence must be recorded") as refused:
            complete(competence_recorded=False)
        assert refused.value.rule == "process.competence"

    def test_r6_luvn_confirmation_is_needed_only_where_luvn_takes_part(self):
        complete(luvn_required=False, luvn_confirmed=False)
        complete(luvn_required=False, luvn_confirmed=True)
        complete(luvn_required=True, luvn_confirmed=True)
        with pytest.raises(Refused, match="LUVN must confirm") as refused:
            complete(luvn_required=True, luvn_confirmed=False)
        assert refused.value.rule == "R6"

    def test_r28_refusal_says_why(self):
        with pytest.raises(Refused, match="every R28 topic") as refused:
            complete(information_given=EVERY_TOPIC[1:])
        assert refused.value.rule == "R28"


class TestR26FeeEdges:
    @pytest.mark.parametrize(("cost", "age", "fee"), [
        (0, 30, 0),         # a free interpretation costs nothing, and is not refused
        (4200, 0, 0),       # a newborn is charged nothing, and is not refused
        (5669, 18, 5669),   # the cost just under the cap, at 18
    ])
    def test_r26_fee_edges(self, cost, age, fee):
        assert rules.no_show_fee_cents(interpretation_cost_cents=cost, age=age, informed_at_booking=True,
                                       justified=False) == fee


class TestCalendarMonths:
    @pytest.mark.parametrize(("day", "months", "expected"), [
        (date(2025, 1, 31), 2, date(2025, 3, 31)),    # a 31st into a month of 31 days
        (date(2025, 1, 31), 3, date(2025, 4, 30)),    # into a month of 30
        (date(2024, 1, 31), 1, date(2024, 2, 29)),    # into a leap February
        (date(2025, 1, 31), 1, date(2025, 2, 28)),    # into a common February
        (date(2025, 3, 30), -1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),   # across the year end
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2025, 6, 30), -12, date(2024, 6, 30)),
        (date(2025, 5, 7), 0, date(2025, 5, 7)),
    ])
    def test_add_months(self, day, months, expected):
        assert rules.add_months(day, months) == expected


class TestR24Window:
    def test_r24_a_no_show_the_same_day_counts(self):
        assert rules.repeated_no_show([date(2025, 3, 6)], date(2025, 3, 6), registered_jobseeker=True,
                                      justified=False) == date(2025, 3, 6)

    def test_r24_a_later_one_is_not_an_earlier_one(self):
        assert rules.repeated_no_show([date(2025, 3, 7)], date(2025, 3, 6), registered_jobseeker=True,
                                      justified=False) is None

    def test_r24_the_earliest_within_the_window_is_named(self):
        earlier = [date(2025, 9, 1), date(2025, 3, 5), date(2025, 3, 6), date(2026, 1, 2), date(2026, 4, 1)]

        assert rules.repeated_no_show(earlier, date(2026, 3, 6), registered_jobseeker=True,
                                      justified=False) == date(2025, 3, 6)

    def test_r24_the_window_is_twelve_calendar_months_from_a_month_end(self):
        # 31 May 2026 looks back to 31 May 2025 (12 months), not 30 or 31 days fewer.
        assert rules.repeated_no_show([date(2025, 5, 31)], date(2026, 5, 31), registered_jobseeker=True,
                                      justified=False) == date(2025, 5, 31)
        assert rules.repeated_no_show([date(2025, 5, 30)], date(2026, 5, 31), registered_jobseeker=True,
                                      justified=False) is None


class TestSignatures:
    @pytest.mark.parametrize("call", [
        lambda: rules.interview_due_on(date(2025, 3, 3), True, CALENDAR),
        lambda: rules.repeated_no_show([date(2025, 3, 6)], date(2025, 4, 6), True, False),
    ])
    def test_the_flags_are_keyword_only_so_two_of_them_can_never_be_swapped(self, call):
        with pytest.raises(TypeError, match="positional argument"):
            call()


class TestInterpreterValue:
    def test_an_interpreter_is_a_value_no_one_can_change_after_the_check(self):
        interpreter = rules.Interpreter("ar")

        with pytest.raises(dataclasses.FrozenInstanceError):
            interpreter.relative = True  # type: ignore[misc]
        assert (interpreter.relative, hash(interpreter)) == (False, hash(rules.Interpreter("ar")))
