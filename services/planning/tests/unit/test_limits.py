"""The law's limits as pure functions, each at its boundary: the last allowed day and the first refused."""

from __future__ import annotations

from datetime import date

import pytest

from backbone.workdays import WorkingDays
from contracts.events.planning import PlanPolicy
from contracts.vocabulary import ExtensionReason
from planning.domain import limits
from planning.domain.errors import Refused
from planning.domain.limits import Allowance, decide_extension

pytestmark = pytest.mark.unit

FIRST = date(2025, 4, 1)
R = ExtensionReason


def extend(allowance: Allowance, until: date, reason: ExtensionReason, *, current: date = date(2026, 3, 31),
           under_25: bool = False, days: int | None = None):
    return decide_extension(allowance, current_until=current, until=until, reason=reason, under_25=under_25,
                            interruption_days=days)


def refused_rule(call) -> str:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.rule


class TestR10DrawingUpWithoutDelay:
    def test_r10_target_counts_working_days_from_the_assessment(self):
        # Friday 2025-03-21 + 10 working days = Friday 2025-04-04
        assert limits.drawing_up_due(date(2025, 3, 21), 10, WorkingDays()) == date(2025, 4, 4)

    def test_r10_target_skips_holidays(self):
        # Easter 2025: Good Friday 18.4, Easter Monday 21.4
        assert limits.drawing_up_due(date(2025, 4, 16), 2, WorkingDays()) == date(2025, 4, 22)


class TestR11LatestDayAndR3:
    def test_r11_last_day_is_the_window_end(self):
        assert limits.drawing_up_latest(date(2027, 1, 15), trafficking_victim=False) == date(2027, 1, 15)

    def test_r11_allows_the_last_day_and_refuses_the_next(self):
        limits.check_drawing_up(date(2027, 1, 15), date(2027, 1, 15))

        assert refused_rule(lambda: limits.check_drawing_up(date(2027, 1, 16), date(2027, 1, 15))) == "R11"

    def test_r3_trafficking_victims_have_no_last_day(self):
        latest = limits.drawing_up_latest(date(2027, 1, 15), trafficking_victim=True)

        assert latest is None
        limits.check_drawing_up(date(2035, 1, 1), latest)


class TestR4:
    def test_r4_no_plan_without_a_need(self):
        assert refused_rule(lambda: limits.check_plan_needed(False)) == "R4"
        limits.check_plan_needed(True)


class TestR12ReferralsWithinAMonth:
    def test_r12_one_calendar_month(self):
        assert limits.referrals_due(date(2025, 4, 10)) == date(2025, 5, 10)

    def test_r12_month_end_has_no_such_day(self):
        assert limits.referrals_due(date(2025, 1, 31)) == date(2025, 2, 28)


class TestR13ReviewsEverySixMonths:
    def test_r13_from_31_august_is_the_last_day_of_february(self):
        assert limits.next_review_due(date(2025, 8, 31)) == date(2026, 2, 28)
        assert limits.next_review_due(date(2027, 8, 31)) == date(2028, 2, 29)

    def test_r13_a_month_count_not_a_day_count(self):
        assert limits.next_review_due(date(2025, 4, 1)) == date(2025, 10, 1)

    def test_r13_review_cannot_precede_the_start_or_today(self):
        limits.check_review(date(2025, 4, 1), date(2025, 4, 1), date(2025, 4, 1))
        assert refused_rule(lambda: limits.check_review(date(2025, 3, 31), date(2025, 4, 1), date(2025, 5, 1))) == "R13"
        assert refused_rule(lambda: limits.check_review(date(2025, 5, 2), date(2025, 4, 1), date(2025, 5, 1))) == "R13"


class TestR14Duration:
    def test_r14_first_plan_at_most_one_year(self):
        limits.check_first_period(FIRST, date(2026, 3, 31), Allowance(FIRST))

        assert refused_rule(lambda: limits.check_first_period(FIRST, date(2026, 4, 1), Allowance(FIRST))) == "R14"

    def test_r14_all_plans_at_most_two_years_from_the_first_start(self):
        assert Allowance(FIRST).maximum_on == date(2027, 3, 31)
        assert extend(Allowance(FIRST), date(2027, 3, 31), R.CONTINUED_WITHIN_MAXIMUM).rule == "R14"

        assert refused_rule(lambda: extend(Allowance(FIRST), date(2027, 4, 1), R.CONTINUED_WITHIN_MAXIMUM)) == "R14"

    def test_r14_from_29_february(self):
        assert Allowance(date(2028, 2, 29)).maximum_on == date(2030, 2, 27)

    def test_an_extension_must_move_the_end_later(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2026, 3, 31), R.CONTINUED_WITHIN_MAXIMUM)) == \
            "field.until"


class TestR15:
    @pytest.mark.parametrize("reason", sorted(limits.R15_REASONS))
    def test_r15_up_to_two_more_years_on_each_listed_ground(self, reason):
        decision = extend(Allowance(FIRST), date(2029, 3, 31), reason, current=date(2027, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance.maximum_on) == ("R15", None, date(2029, 3, 31))

    def test_r15_refuses_the_day_after_two_more_years(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2029, 4, 1), R.LOW_EDUCATION_SPECIAL_MEASURES,
                                           current=date(2027, 3, 31))) == "R15"

    def test_r15_granted_years_may_then_be_continued_into(self):
        granted = extend(Allowance(FIRST), date(2028, 3, 31), R.LOW_EDUCATION_SPECIAL_MEASURES,
                         current=date(2027, 3, 31)).allowance

        decision = extend(granted, date(2029, 3, 31), R.CONTINUED_WITHIN_MAXIMUM, current=date(2028, 3, 31))

        assert (decision.rule, decision.reason) == ("R15", R.LOW_EDUCATION_SPECIAL_MEASURES)


class TestQuotaRefugeePolicy:
    def test_quota_refugees_run_three_years_by_policy_naming_policy_and_r15(self):
        allowance, policy = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        assert (allowance.maximum_on, allowance.maximum_rule, policy) == (date(2028, 3, 31), "R15",
                                                                         PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR)
        decision = extend(allowance, date(2028, 3, 31), R.CONTINUED_WITHIN_MAXIMUM, current=date(2027, 3, 31))
        assert (decision.rule, decision.policy) == ("R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR)

    def test_quota_policy_third_year_ends_on_its_last_day(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        assert refused_rule(lambda: extend(allowance, date(2028, 4, 1), R.CONTINUED_WITHIN_MAXIMUM,
                                           current=date(2027, 3, 31))) == "R15"

    def test_quota_policy_switched_off_leaves_r14s_two_years(self):
        allowance, policy = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=False)

        assert (allowance.maximum_on, policy) == (date(2027, 3, 31), None)
        assert refused_rule(lambda: extend(allowance, date(2027, 4, 1), R.CONTINUED_WITHIN_MAXIMUM,
                                           current=date(2027, 3, 31))) == "R14"

    def test_quota_refugee_may_still_get_r15s_full_two_years_on_its_grounds(self):
        allowance, _ = limits.initial_allowance(FIRST, quota_refugee=True, quota_policy=True)

        decision = extend(allowance, date(2029, 3, 31), R.MULTI_SECTOR_SPECIAL_MEASURES, current=date(2028, 3, 31))

        assert (decision.rule, decision.policy, decision.allowance.maximum_on) == ("R15", None, date(2029, 3, 31))


class TestR16:
    def test_r16_extends_by_the_interruptions_length(self):
        days = limits.interruption_days(date(2025, 6, 1), date(2025, 6, 30))
        decision = extend(Allowance(FIRST), date(2027, 4, 30), R.UNABLE_TO_CARRY_OUT, current=date(2027, 3, 31),
                          days=days)

        assert days == 30
        assert (decision.rule, decision.allowance.maximum_on) == ("R16", date(2027, 4, 30))

    def test_r16_refuses_a_day_longer_than_the_interruption(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2027, 5, 1), R.UNABLE_TO_CARRY_OUT,
                                           current=date(2027, 3, 31), days=30)) == "R16"

    def test_r16_needs_an_interruption(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2027, 4, 1), R.UNABLE_TO_CARRY_OUT,
                                           current=date(2027, 3, 31))) == "R16"


class TestR17:
    def test_r17_under_25_one_year(self):
        decision = extend(Allowance(FIRST), date(2028, 3, 31), R.SELF_MOTIVATED_STUDIES, current=date(2027, 3, 31),
                          under_25=True)

        assert (decision.rule, decision.allowance.maximum_on) == ("R17", date(2028, 3, 31))

    def test_r17_refuses_a_day_past_one_year(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2028, 4, 1), R.SELF_MOTIVATED_STUDIES,
                                           current=date(2027, 3, 31), under_25=True)) == "R17"

    def test_r17_refuses_a_client_of_25_or_over(self):
        assert refused_rule(lambda: extend(Allowance(FIRST), date(2027, 6, 1), R.SELF_MOTIVATED_STUDIES,
                                           current=date(2027, 3, 31), under_25=False)) == "R17"

    def test_r17_only_once(self):
        assert refused_rule(lambda: extend(Allowance(FIRST, r17=True), date(2028, 6, 1), R.SELF_MOTIVATED_STUDIES,
                                           current=date(2028, 3, 31), under_25=True)) == "R17"


class TestR18:
    def test_r18_old_plans_keep_three_years_until_their_first_review(self):
        allowance = Allowance(date(2024, 1, 1), legacy=limits.legacy_applies(date(2023, 12, 1), reviewed=False))

        assert (allowance.maximum_on, allowance.maximum_rule) == (date(2026, 12, 31), "R18")
        assert extend(allowance, date(2026, 12, 31), R.CONTINUED_WITHIN_MAXIMUM, current=date(2025, 12, 31)).rule == \
            "R14"
        assert refused_rule(lambda: extend(allowance, date(2027, 1, 1), R.CONTINUED_WITHIN_MAXIMUM,
                                           current=date(2025, 12, 31))) == "R18"

    def test_r18_old_plus_two_years_of_extension(self):
        allowance = Allowance(date(2024, 1, 1), legacy=True)

        assert extend(allowance, date(2028, 12, 31), R.LOW_EDUCATION_SPECIAL_MEASURES,
                      current=date(2026, 12, 31)).allowance.maximum_on == date(2028, 12, 31)

    def test_r18_ends_at_the_first_review_but_the_period_in_force_stands(self):
        after = limits.after_first_review(Allowance(date(2024, 1, 1), legacy=True), date(2026, 6, 30))

        assert (after.legacy, after.maximum_on, after.maximum_rule) == (False, date(2026, 6, 30), "R18")
        assert limits.after_first_review(Allowance(date(2024, 1, 1), legacy=True), date(2025, 6, 30)).maximum_on == \
            date(2025, 12, 31)

    def test_r18_plans_made_in_2025_or_later_are_not_imported(self):
        limits.check_import(date(2024, 12, 31))
        assert limits.legacy_applies(date(2024, 12, 31), reviewed=False)
        assert not limits.legacy_applies(date(2024, 12, 31), reviewed=True)

        assert refused_rule(lambda: limits.check_import(date(2025, 1, 1))) == "R18"
