"""The law as assessment enforces it (law.md R4, R6, R8, R9, R24, R26, R27, R28), at its boundaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backbone.workdays import WorkingDays
from contracts.events.assessment import InformationTopic, ServiceNeed
from contracts.vocabulary import LUVN_GROUPS, TargetGroup
from assessment.domain import rules
from assessment.domain.errors import Refused

pytestmark = pytest.mark.unit

CALENDAR = WorkingDays()
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


class TestR9JobseekerInterview:
    def test_r9_is_the_fifth_working_day_after_registration(self):
        # Monday 3 March 2025: Tuesday to Monday are the five working days after it.
        assert rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=True, calendar=CALENDAR) == (
            date(2025, 3, 10), "R9")

    def test_r9_skips_holidays(self):
        # Thursday 17 April 2025: Good Friday and Easter Monday are not working days.
        assert rules.interview_due_on(date(2025, 4, 17), registered_jobseeker=True, calendar=CALENDAR)[0] == date(
            2025, 4, 28)

    def test_r9_ignores_the_r8_target_setting(self):
        due = rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=True, calendar=CALENDAR,
                                     target_working_days=20)
        assert due == (date(2025, 3, 10), "R9")

    @given(days)
    def test_r9_exactly_five_working_days_lie_between(self, registered_on):
        due, rule = rules.interview_due_on(registered_on, registered_jobseeker=True, calendar=CALENDAR)
        between = [registered_on + timedelta(days=n) for n in range(1, (due - registered_on).days + 1)]
        assert rule == "R9"
        assert sum(CALENDAR.is_working_day(d) for d in between) == 5
        assert CALENDAR.is_working_day(due)


class TestR8Target:
    def test_r8_default_target_is_five_working_days(self):
        assert rules.DEFAULT_TARGET_WORKING_DAYS == 5
        assert rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=False, calendar=CALENDAR) == (
            date(2025, 3, 10), "R8")

    def test_r8_target_is_a_setting(self):
        assert rules.interview_due_on(date(2025, 3, 3), registered_jobseeker=False, calendar=CALENDAR,
                                      target_working_days=10)[0] == date(2025, 3, 17)

    def test_r8_opens_a_case_for_to_be_assessed_and_none_for_guidance_only(self):
        assert rules.case_needed("to_be_assessed") is True
        assert rules.case_needed("guidance_only") is False

    @given(days, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
    def test_r8_a_longer_target_is_never_earlier(self, registered_on, a, b):
        low, high = sorted((a, b))
        due_low = rules.interview_due_on(registered_on, registered_jobseeker=False, calendar=CALENDAR,
                                         target_working_days=low)[0]
        due_high = rules.interview_due_on(registered_on, registered_jobseeker=False, calendar=CALENDAR,
                                          target_working_days=high)[0]
        assert registered_on <= due_low <= due_high


class TestR27Interpreter:
    def test_r27_a_relative_is_refused_as_interpreter_with_the_rule_id(self):
        with pytest.raises(Refused) as refused:
            rules.check_interview_language(("ar",), "fi", rules.Interpreter("ar", relative=True))
        assert refused.value.rule == "R27"

    def test_r27_a_professional_interpreter_in_the_clients_language_is_accepted(self):
        rules.check_interview_language(("ar",), "fi", rules.Interpreter("ar"))

    def test_r27_an_interpreter_in_a_language_the_client_does_not_know_is_refused(self):
        with pytest.raises(Refused, match="interpreter.language") as refused:
            rules.check_interview_language(("ar", "en"), "fi", rules.Interpreter("ru"))
        assert refused.value.rule == "R27"

    def test_r27_without_interpreter_the_interview_must_be_in_a_language_the_client_knows(self):
        rules.check_interview_language(("uk", "en"), "en", None)
        with pytest.raises(Refused) as refused:
            rules.check_interview_language(("uk", "en"), "fi", None)
        assert refused.value.rule == "R27"

    def test_r27_interpreter_needed_only_without_finnish_or_swedish(self):
        assert rules.interpreter_needed(("ar", "en")) is True
        assert rules.interpreter_needed(("ar", "sv")) is False
        assert rules.interpreter_needed(("fi",)) is False

    @given(st.lists(st.sampled_from(["fi", "sv", "ar", "ru", "en", "uk", "th"]), min_size=1, max_size=4),
           st.sampled_from(["fi", "sv", "ar", "ru", "en", "uk", "th"]), st.booleans())
    def test_r27_a_relative_is_refused_whatever_the_languages(self, languages, language, relative):
        interpreter = rules.Interpreter(languages[0], relative=relative)
        if relative:
            with pytest.raises(Refused):
                rules.check_interview_language(languages, language, interpreter)
        else:
            rules.check_interview_language(languages, language, interpreter)


class TestR28Information:
    def test_r28_every_topic_must_be_given(self):
        assert rules.missing_information([]) == frozenset(InformationTopic)
        assert rules.missing_information(list(InformationTopic)) == frozenset()

    @pytest.mark.parametrize("left_out", list(InformationTopic))
    def test_r28_completion_is_refused_when_any_one_topic_is_missing(self, left_out):
        given_topics = [t for t in InformationTopic if t != left_out]
        with pytest.raises(Refused) as refused:
            rules.check_completion(interview_held=True, information_given=given_topics, competence_recorded=True,
                                   luvn_required=False, luvn_confirmed=False)
        assert refused.value.rule == "R28"

    @given(st.sets(st.sampled_from(list(InformationTopic))))
    def test_r28_completion_allowed_exactly_when_every_topic_was_told(self, told):
        if told == set(InformationTopic):
            rules.check_completion(interview_held=True, information_given=told, competence_recorded=True,
                                   luvn_required=False, luvn_confirmed=False)
        else:
            with pytest.raises(Refused) as refused:
                rules.check_completion(interview_held=True, information_given=told, competence_recorded=True,
                                       luvn_required=False, luvn_confirmed=False)
            assert refused.value.rule == "R28"
        assert rules.missing_information(told) == frozenset(InformationTopic) - told

    def test_r28_completion_allowed_with_every_topic(self):
        rules.check_completion(interview_held=True, information_given=list(InformationTopic), competence_recorded=True,
                               luvn_required=False, luvn_confirmed=False)


class TestR6Luvn:
    def test_r6_completion_refused_without_luvn_confirmation_where_required(self):
        with pytest.raises(Refused) as refused:
            rules.check_completion(interview_held=True, information_given=list(InformationTopic),
                                   competence_recorded=True, luvn_required=True, luvn_confirmed=False)
        assert refused.value.rule == "R6"

    def test_r6_completion_allowed_once_luvn_confirmed(self):
        rules.check_completion(interview_held=True, information_given=list(InformationTopic), competence_recorded=True,
                               luvn_required=True, luvn_confirmed=True)

    @given(st.sets(st.sampled_from(list(TargetGroup))))
    def test_r6_luvn_takes_part_exactly_for_the_programmes_groups(self, groups):
        assert rules.luvn_participation_required(groups) == bool(groups & LUVN_GROUPS)


class TestR26NoShowFee:
    def test_r26_fee_is_the_interpretation_cost(self):
        assert rules.no_show_fee_cents(interpretation_cost_cents=4200, age=30, informed_at_booking=True,
                                       justified=False) == 4200

    def test_r26_fee_is_at_most_5670_cents(self):
        assert rules.no_show_fee_cents(interpretation_cost_cents=5670, age=30, informed_at_booking=True,
                                       justified=False) == 5670
        assert rules.no_show_fee_cents(interpretation_cost_cents=5671, age=30, informed_at_booking=True,
                                       justified=False) == 5670

    def test_r26_never_charged_under_18(self):
        assert rules.no_show_fee_cents(interpretation_cost_cents=4200, age=17, informed_at_booking=True,
                                       justified=False) == 0
        assert rules.no_show_fee_cents(interpretation_cost_cents=4200, age=18, informed_at_booking=True,
                                       justified=False) == 4200

    def test_r26_only_if_informed_at_booking(self):
        assert rules.no_show_fee_cents(interpretation_cost_cents=4200, age=30, informed_at_booking=False,
                                       justified=False) == 0

    def test_r26_nothing_for_a_justified_absence(self):
        assert rules.no_show_fee_cents(interpretation_cost_cents=4200, age=30, informed_at_booking=True,
                                       justified=True) == 0

    @pytest.mark.parametrize("field", ["interpretation_cost_cents", "age"])
    def test_r26_refuses_negative_inputs(self, field):
        kwargs = {"interpretation_cost_cents": 100, "age": 30, "informed_at_booking": True, "justified": False}
        with pytest.raises(ValueError, match=field):
            rules.no_show_fee_cents(**{**kwargs, field: -1})

    @given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=120), st.booleans(),
           st.booleans())
    def test_r26_fee_properties(self, cost, age, informed, justified):
        fee = rules.no_show_fee_cents(interpretation_cost_cents=cost, age=age, informed_at_booking=informed,
                                      justified=justified)
        assert 0 <= fee <= min(cost, 5670)
        if age < 18 or not informed or justified:
            assert fee == 0
        else:
            assert fee == min(cost, 5670)


class TestR24RepeatedNoShow:
    def test_r24_second_within_12_months_is_flagged(self):
        assert rules.repeated_no_show([date(2025, 3, 6)], date(2026, 3, 6), registered_jobseeker=True,
                                      justified=False) == date(2025, 3, 6)

    def test_r24_not_flagged_after_12_months(self):
        assert rules.repeated_no_show([date(2025, 3, 6)], date(2026, 3, 7), registered_jobseeker=True,
                                      justified=False) is None

    def test_r24_first_one_is_not_flagged(self):
        assert rules.repeated_no_show([], date(2025, 3, 6), registered_jobseeker=True, justified=False) is None

    def test_r24_only_for_registered_jobseekers(self):
        assert rules.repeated_no_show([date(2025, 3, 6)], date(2025, 4, 6), registered_jobseeker=False,
                                      justified=False) is None

    def test_r24_a_justified_one_is_not_flagged(self):
        assert rules.repeated_no_show([date(2025, 3, 6)], date(2025, 4, 6), registered_jobseeker=True,
                                      justified=True) is None

    def test_r24_leap_day_window(self):
        assert rules.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
        assert rules.repeated_no_show([date(2024, 2, 29)], date(2025, 2, 28), registered_jobseeker=True,
                                      justified=False) == date(2024, 2, 29)

    @given(days, st.integers(min_value=0, max_value=800))
    def test_r24_flagged_exactly_when_the_earlier_one_lies_within_12_months(self, first, gap):
        second = first + timedelta(days=gap)
        flagged = rules.repeated_no_show([first], second, registered_jobseeker=True, justified=False)
        assert (flagged == first) == (second <= rules.add_months(first, 12))
        assert flagged in (first, None)


class TestR4PlanNeeded:
    def test_r4_integration_services_need_a_plan(self):
        assert rules.plan_needed([ServiceNeed.INTEGRATION_TRAINING]) is True

    def test_r4_guidance_alone_needs_no_plan(self):
        assert rules.plan_needed([ServiceNeed.GUIDANCE_AND_COUNSELLING]) is False
        assert rules.plan_needed([]) is False

    @given(st.sets(st.sampled_from(list(ServiceNeed))))
    def test_r4_plan_needed_exactly_when_a_need_beyond_guidance(self, needs):
        assert rules.plan_needed(needs) == bool(needs - {ServiceNeed.GUIDANCE_AND_COUNSELLING})
