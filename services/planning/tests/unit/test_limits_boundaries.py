"""The limits' edges that mutation testing found unchecked (issue 17): each test fails when its rule is
broken at that point — a boundary moved by a day, `and` read as `or`, the rule a refusal names."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from contracts.events.planning import PlanPolicy
from contracts.vocabulary import ExtensionReason
from planning.domain import limits
from planning.domain.errors import Refused
from planning.domain.limits import Allowance, decide_extension

pytestmark = pytest.mark.unit

FIRST = date(2025, 4, 1)
R = ExtensionReason


def extend(allowance: Allowance, until: date, reason: ExtensionReason, *, current: date,
           under_25: bool = False, days: int | None = None):
    return decide_extension(allowance, current_until=current, until=until, reason=reason, under_25=under_25,
                            interruption_days=days)


class TestFirstPeriod:
    def test_a_one_day_plan_is_allowed_and_one_ending_the_day_before_it_starts_is_not(self):
        limits.check_first_period(FIRST, FIRST, Allowance(FIRST))

        with pytest.raises(Refused, match="ends_on must not be before starts_on") as refused:
            limits.check_first_period(FIRST, date(2025, 3, 31), Allowance(FIRST))
        assert refused.value.rule == "field.ends_on"

    def test_r14_a_first_period_never_runs_past_the_clients_maximum(self):
        # An allowance counted from an earlier start: its maximum is 31.12.2025.
        earlier = Allowance(date(2024, 1, 1))
        limits.check_first_period(date(2025, 6, 1), date(2025, 12, 31), earlier)

        with pytest.raises(Refused, match="past the maximum") as refused:
            limits.check_first_period(date(2025, 6, 1), date(2026, 1, 1), earlier)
        assert refused.value.rule == "R14"

    def test_r18_names_itself_when_the_old_maximum_is_passed(self):
        legacy = Allowance(date(2023, 1, 1), legacy=True)  # maximum 31.12.2025

        with pytest.raises(Refused, match="past the maximum") as refused:
            limits.check_first_period(date(2025, 6, 1), date(2026, 1, 1), legacy)
        assert refused.value.rule == "R18"


class TestMaximumRule:
    @pytest.mark.parametrize(("allowance", "rule"), [
        (Allowance(FIRST), "R14"),
        (Allowance(FIRST, r15_years=2), "R15"),
        (Allowance(FIRST, interruption_days=10), "R16"),
        (Allowance(FIRST, r17=True), "R17"),
        (Allowance(FIRST, r15_years=2, interruption_days=10, r17=True), "R17"),
        (Allowance(FIRST, r15_years=2, interruption_days=10), "R16"),
        (Allowance(FIRST, legacy=True, r17=True), "R18"),
    ])
    def test_the_rule_that_sets_the_maximum(self, allowance, rule):
        assert allowance.maximum_rule == rule

    def test_r18_a_kept_end_shorter_than_the_new_maximum_is_no_longer_r18s(self):
        after = limits.after_first_review(Allowance(date(2024, 1, 1), legacy=True), date(2025, 6, 30))

        assert (after.legacy, after.kept_until, after.maximum_on, after.maximum_rule) == (
            False, date(2025, 6, 30), date(2025, 12, 31), "R14")

    def test_a_plan_not_made_before_2025_is_unchanged_by_its_first_review(self):
        allowance = Allowance(FIRST, r15_years=1)

        assert limits.after_first_review(allowance, date(2026, 3, 31)) is allowance

    def test_refusals_past_a_granted_maximum_name_the_rule_that_set_it(self):
        r17 = Allowance(FIRST, r17=True, r15_years=2)  # maximum 31.3.2030

        with pytest.raises(Refused, match="at most 2 years") as refused:
            extend(r17, date(2030, 4, 1), R.CONTINUED_WITHIN_MAXIMUM, current=date(2029, 3, 31))
        assert refused.value.rule == "R17"
        with pytest.raises(Refused, match="at most 2 more years") as refused:
            extend(Allowance(FIRST), date(2029, 4, 1), R.LOW_EDUCATION_SPECIAL_MEASURES, current=date(2026, 3, 31))
        assert refused.value.rule == "R15"


class TestContinuedWithinTheMaximum:
    def test_r14_a_continuation_short_of_the_maximum_is_r14s(self):
        decision = extend(Allowance(FIRST), date(2026, 9, 30), R.CONTINUED_WITHIN_MAXIMUM, current=date(2026, 3, 31))

        assert (decision.reason, decision.rule, decision.policy) == (R.CONTINUED_WITHIN_MAXIMUM, "R14", None)

    def test_an_extension_ending_before_the_current_end_is_refused(self):
        with pytest.raises(Refused, match="must end after the plan's current end") as refused:
            extend(Allowance(FIRST), date(2026, 3, 1), R.CONTINUED_WITHIN_MAXIMUM, current=date(2026, 3, 31))
        assert refused.value.rule == "field.until"

    def test_r18_a_kept_end_equal_to_the_new_maximum_is_still_r18s(self):
        after = limits.after_first_review(Allowance(date(2024, 1, 1), legacy=True), date(2025, 12, 31))

        assert (after.maximum_on, after.maximum_rule) == (date(2025, 12, 31), "R18")


class TestR15AndTheQuotaPolicy:
    def test_continuing_into_the_quota_year_is_the_policys_r15_decision(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2027, 4, 1), R.CONTINUED_WITHIN_MAXIMUM, current=date(2027, 3, 31))

        assert (decision.reason, decision.rule, decision.policy, decision.allowance) == (
            R.MULTI_SECTOR_SPECIAL_MEASURES, "R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR, allowance)

    def test_continuing_within_r14s_two_years_names_no_policy(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2027, 3, 31), R.CONTINUED_WITHIN_MAXIMUM, current=date(2026, 3, 31))

        assert (decision.reason, decision.rule, decision.policy, decision.allowance) == (
            R.CONTINUED_WITHIN_MAXIMUM, "R14", None, allowance)

    def test_a_quota_refugee_is_not_one_unless_the_policy_and_the_refugee_both_hold(self):
        for quota_refugee, quota_policy in ((True, False), (False, True), (False, False)):
            allowance, policy = limits.initial_allowance(FIRST, quota_refugee=quota_refugee,
                                                         quota_policy=quota_policy)
            assert (allowance, policy) == (Allowance(FIRST), None)

    def test_an_r15_ground_within_the_quota_year_grants_nothing_more_and_names_the_policy(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2028, 3, 31), R.LOW_EDUCATION_SPECIAL_MEASURES, current=date(2027, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance) == (
            "R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR, allowance)

    def test_an_r15_ground_ending_inside_the_quota_year_names_the_policy(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2027, 9, 30), R.MULTI_SECTOR_SPECIAL_MEASURES, current=date(2027, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance) == (
            "R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR, allowance)

    def test_an_r15_ground_past_the_quota_year_grants_r15s_full_two_years(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2028, 4, 1), R.LOW_EDUCATION_SPECIAL_MEASURES, current=date(2027, 3, 31))

        assert (decision.rule, decision.policy) == ("R15", None)
        assert (decision.allowance.r15_years, decision.allowance.r15_reason, decision.allowance.maximum_on) == (
            2, R.LOW_EDUCATION_SPECIAL_MEASURES, date(2029, 3, 31))

    def test_an_r15_ground_within_r14s_years_still_grants_r15_without_a_policy(self):
        decision = extend(Allowance(FIRST), date(2027, 1, 31), R.HOME_CARE_ALLOWANCE_PART_TIME,
                          current=date(2026, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance.maximum_on) == ("R15", None, date(2029, 3, 31))

    def test_an_officers_r15_decision_within_the_granted_years_names_no_policy(self):
        granted = Allowance(FIRST, r15_years=2, r15_reason=R.MULTI_SECTOR_SPECIAL_MEASURES)

        decision = extend(granted, date(2028, 3, 31), R.LOW_EDUCATION_SPECIAL_MEASURES, current=date(2027, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance.r15_reason) == (
            "R15", None, R.LOW_EDUCATION_SPECIAL_MEASURES)


class TestR16:
    def test_r16_adds_to_the_days_already_granted(self):
        decision = extend(Allowance(FIRST, interruption_days=10), date(2027, 4, 30), R.UNABLE_TO_CARRY_OUT,
                          current=date(2027, 4, 10), days=20)

        assert (decision.rule, decision.allowance.interruption_days) == ("R16", 30)
        assert decision.allowance.maximum_on == date(2027, 4, 30)

    def test_r16_refuses_a_day_past_the_interruption_naming_the_rule(self):
        with pytest.raises(Refused, match="at most as long as the recorded interruption") as refused:
            extend(Allowance(FIRST), date(2027, 4, 2), R.UNABLE_TO_CARRY_OUT, current=date(2027, 3, 31), days=1)
        assert refused.value.rule == "R16"
        assert extend(Allowance(FIRST), date(2027, 4, 1), R.UNABLE_TO_CARRY_OUT, current=date(2027, 3, 31),
                      days=1).rule == "R16"

    def test_r16_an_extension_shorter_than_the_interruption_is_allowed(self):
        decision = extend(Allowance(FIRST), date(2027, 4, 15), R.UNABLE_TO_CARRY_OUT, current=date(2027, 3, 31),
                          days=30)

        assert (decision.rule, decision.allowance.maximum_on) == ("R16", date(2027, 4, 30))

    @pytest.mark.parametrize(("from_on", "to_on", "days"), [
        (date(2025, 6, 1), date(2025, 6, 1), 1),
        (date(2025, 6, 30), date(2025, 7, 1), 2),
        (date(2024, 2, 28), date(2024, 3, 1), 3),
    ])
    def test_r16_both_ends_of_an_interruption_count(self, from_on, to_on, days):
        assert limits.interruption_days(from_on, to_on) == days


class TestR17:
    def test_r17_one_year_from_the_current_end_even_when_the_maximum_allows_more(self):
        allowance = Allowance(FIRST, r15_years=2)  # maximum 31.3.2029, with R17 31.3.2030

        with pytest.raises(Refused, match="at most 1 year") as refused:
            extend(allowance, date(2027, 4, 1), R.SELF_MOTIVATED_STUDIES, current=date(2026, 3, 31), under_25=True)
        assert refused.value.rule == "R17"
        assert extend(allowance, date(2027, 3, 31), R.SELF_MOTIVATED_STUDIES, current=date(2026, 3, 31),
                      under_25=True).rule == "R17"

    def test_r17_never_past_the_maximum_even_within_a_year_of_the_current_end(self):
        # The current end lies past the R14 maximum (31.3.2027); a year on from it would pass R17's 31.3.2028.
        with pytest.raises(Refused, match="at most 1 year") as refused:
            extend(Allowance(FIRST), date(2028, 4, 1), R.SELF_MOTIVATED_STUDIES, current=date(2027, 6, 30),
                   under_25=True)
        assert refused.value.rule == "R17"

    def test_r17_an_extension_shorter_than_a_year_is_allowed(self):
        decision = extend(Allowance(FIRST), date(2027, 9, 30), R.SELF_MOTIVATED_STUDIES, current=date(2027, 3, 31),
                          under_25=True)

        assert (decision.rule, decision.allowance.r17, decision.allowance.maximum_on) == (
            "R17", True, date(2028, 3, 31))

    def test_r17_refusals_say_why(self):
        with pytest.raises(Refused, match="for clients under 25"):
            extend(Allowance(FIRST), date(2027, 6, 1), R.SELF_MOTIVATED_STUDIES, current=date(2027, 3, 31))
        with pytest.raises(Refused, match="already granted"):
            extend(Allowance(FIRST, r17=True), date(2028, 6, 1), R.SELF_MOTIVATED_STUDIES, current=date(2028, 3, 31),
                   under_25=True)


class TestR18Boundary:
    def test_r18_a_plan_made_on_1_january_2025_is_under_the_new_law(self):
        assert limits.legacy_applies(date(2024, 12, 31), reviewed=False) is True
        assert limits.legacy_applies(date(2025, 1, 1), reviewed=False) is False
        assert limits.legacy_applies(date(2024, 12, 31), reviewed=True) is False
        assert limits.legacy_applies(date(2025, 1, 1), reviewed=True) is False
        assert limits.legacy_applies(date(2026, 6, 1), reviewed=False) is False

    @pytest.mark.parametrize("made_on", [date(2025, 1, 1), date(2026, 6, 1)])
    def test_r18_import_refusal_says_why(self, made_on):
        with pytest.raises(Refused, match="only plans made before 1.1.2025") as refused:
            limits.check_import(made_on)
        assert refused.value.rule == "R18"


class TestR11AndR13Messages:
    def test_r11_the_day_after_the_latest_is_refused_and_no_latest_day_never_refuses(self):
        with pytest.raises(Refused, match="no later than 3 years") as refused:
            limits.check_drawing_up(date(2027, 1, 16), date(2027, 1, 15))
        assert refused.value.rule == "R11"
        limits.check_drawing_up(date(2099, 1, 1), None)
        limits.check_drawing_up(date(2027, 1, 14), date(2027, 1, 15))
        limits.check_drawing_up(date(2025, 1, 1), date(2027, 1, 15))

    def test_r13_a_review_on_today_or_on_the_start_is_allowed(self):
        limits.check_review(date(2025, 5, 1), date(2025, 4, 1), date(2025, 5, 1))
        limits.check_review(date(2025, 4, 1), date(2025, 4, 1), date(2025, 5, 1))
        with pytest.raises(Refused, match="cannot precede"):
            limits.check_review(date(2025, 3, 31), date(2025, 4, 1), date(2025, 5, 1))
        with pytest.raises(Refused, match="before it took place"):
            limits.check_review(date(2025, 5, 2), date(2025, 4, 1), date(2025, 5, 1))

    def test_r4_refusal_says_why(self):
        with pytest.raises(Refused, match="did not show a need") as refused:
            limits.check_plan_needed(False)
        assert refused.value.rule == "R4"


class TestCeilingAndSignatures:
    def test_the_law_ceiling_grants_every_ground_in_full(self):
        assert limits.law_ceiling(FIRST, legacy=False, under_25=False, interruption_days=0) == date(2029, 3, 31)
        assert limits.law_ceiling(FIRST, legacy=False, under_25=True, interruption_days=10) == date(2030, 4, 10)
        assert limits.law_ceiling(FIRST, legacy=True, under_25=False, interruption_days=0) == date(2030, 3, 31)

    @pytest.mark.parametrize("call", [
        lambda: limits.law_ceiling(FIRST, False, True, 0),
        lambda: limits.initial_allowance(FIRST, True, True),
        lambda: decide_extension(Allowance(FIRST), date(2026, 3, 31), date(2026, 9, 30), R.CONTINUED_WITHIN_MAXIMUM,
                                 False, None),
    ])
    def test_the_flags_are_keyword_only_so_two_of_them_can_never_be_swapped(self, call):
        with pytest.raises(TypeError, match="positional argument"):
            call()


class TestValues:
    def test_an_allowance_and_a_decision_are_values_no_one_can_change_in_place(self):
        allowance = Allowance(FIRST)
        decision = extend(allowance, date(2026, 9, 30), R.CONTINUED_WITHIN_MAXIMUM, current=date(2026, 3, 31))

        with pytest.raises(dataclasses.FrozenInstanceError):
            allowance.r17 = True  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            decision.rule = "R17"  # type: ignore[misc]
        assert hash(allowance) == hash(Allowance(FIRST))
