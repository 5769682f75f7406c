"""The law's limits on integration plans, as pure functions with their rule ids (law.md R3, R10-R18).

Dates are days; a plan's `until` is its last day (included). Month and year counts are calendar
arithmetic (`dateutil.relativedelta`): six months from 31 August is the last day of February, one
year from 29 February is 28 February. Every check raises `Refused` naming the rule it enforces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from backbone.workdays import WorkingDays
from contracts.events.planning import LAW_OF_2025, PlanPolicy
from contracts.vocabulary import ExtensionReason
from planning.domain.errors import Refused

ONE_DAY = timedelta(days=1)

NORMAL_YEARS = 2
"""R14: all plans together at most 2 years from the first plan's start."""
LEGACY_YEARS = 3
"""R18: plans made before 1.1.2025 keep the old 3-year maximum until their first review."""
R15_YEARS = 2
"""R15: an extension of up to 2 more years on the listed grounds."""
R17_YEARS = 1
"""R17: self-motivated studies under 25, at most 1 year."""
QUOTA_POLICY_YEARS = 1
"""Programme policy: quota refugees' third year, as an R15 extension."""
R17_AGE_LIMIT = 25

R15_REASONS = frozenset({ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES, ExtensionReason.MULTI_SECTOR_SPECIAL_MEASURES,
                         ExtensionReason.HOME_CARE_ALLOWANCE_PART_TIME})


def add_months(day: date, months: int) -> date:
    """Calendar months: the same day of the month, or the month's last day when it has no such day."""
    return day + relativedelta(months=months)


def add_years(day: date, years: int) -> date:
    return day + relativedelta(years=years)


def last_day_of(first_day: date, years: int) -> date:
    """The last day of a period of `years` years starting on `first_day` (the start counted)."""
    return add_years(first_day, years) - ONE_DAY


# --- drawing up (R3, R4, R10, R11) ---------------------------------------------------------------


def drawing_up_due(completed_on: date, target_working_days: int, calendar: WorkingDays) -> date:
    """R10: the plan is drawn up without delay after the assessment; the target is a number of working
    days (a setting), counted as R31 counts them."""
    return calendar.add(completed_on, target_working_days)


def drawing_up_latest(window_ends_on: date | None, trafficking_victim: bool) -> date | None:
    """R11: the last day to draw up a plan is the end of the 3-year window from the first permit; R3:
    trafficking victims have no such limit (None)."""
    if trafficking_victim:
        return None
    return window_ends_on


def check_drawing_up(today: date, latest_on: date | None) -> None:
    """R11 (R3 gives trafficking victims no latest day)."""
    if latest_on is not None and today > latest_on:
        raise Refused("R11", "the plan can be drawn up no later than 3 years after the first residence permit, "
                             "card or registration")


def check_plan_needed(plan_needed: bool) -> None:
    """R4: a plan is drawn up when the assessment shows a need for one."""
    if not plan_needed:
        raise Refused("R4", "the assessment did not show a need for a plan")


# --- reviews and referrals (R12, R13) --------------------------------------------------------------


def next_review_due(from_day: date) -> date:
    """R13: a review at least every 6 months, a month count from the plan's start or the last review."""
    return add_months(from_day, 6)


def referrals_due(drawn_up_on: date) -> date:
    """R12: each service agreed in the plan is referred within 1 month of drawing up the plan."""
    return add_months(drawn_up_on, 1)


def check_review(reviewed_on: date, since: date, today: date) -> None:
    """A review lies between the plan's start (or its last review) and today."""
    if reviewed_on < since:
        raise Refused("R13", "a review cannot precede the plan's start or its last review")
    if reviewed_on > today:
        raise Refused("R13", "a review cannot be recorded before it took place")


# --- duration (R14-R18 and the quota-refugee policy) ---------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What the law allows one client's plans in total, from what has been granted so far.

    `legacy`: a plan made before 1.1.2025 not yet reviewed (R18). `r15_years`: years of R15 extension
    granted (by an officer's decision on the listed grounds, or 1 by the quota-refugee policy).
    `r17`: the R17 year was granted. `interruption_days`: days granted under R16.
    """

    first_starts_on: date
    legacy: bool = False
    r15_years: int = 0
    r17: bool = False
    interruption_days: int = 0
    r15_reason: ExtensionReason | None = None
    """The ground of an officer's R15 decision; None while only the quota-refugee policy granted R15 years."""
    kept_until: date | None = None
    """R18: the end a plan made before 2025 had at its first review; it stands though the new rules are shorter."""

    @property
    def maximum_on(self) -> date:
        """The last day any plan of the client may run to."""
        years = (LEGACY_YEARS if self.legacy else NORMAL_YEARS) + self.r15_years + (R17_YEARS if self.r17 else 0)
        computed = last_day_of(self.first_starts_on, years) + timedelta(days=self.interruption_days)
        return max(computed, self.kept_until) if self.kept_until else computed

    @property
    def maximum_rule(self) -> str:
        """The rule that sets `maximum_on` now: R18 for an unreviewed plan made before 2025, else the
        last ground that raised it, else R14."""
        if self.legacy or (self.kept_until and self.maximum_on == self.kept_until):
            return "R18"
        if self.r17:
            return "R17"
        if self.interruption_days:
            return "R16"
        if self.r15_years:
            return "R15"
        return "R14"


def law_ceiling(first_starts_on: date, *, legacy: bool, under_25: bool, interruption_days: int) -> date:
    """The furthest the law can ever allow: every ground granted in full. Plans never run past it."""
    return Allowance(first_starts_on, legacy, R15_YEARS, under_25, interruption_days).maximum_on


def initial_allowance(first_starts_on: date, *, quota_refugee: bool, quota_policy: bool) -> tuple[Allowance, PlanPolicy | None]:
    """The allowance of a client's first plan: R14's 2 years, or 3 for quota refugees while the
    programme's policy is on (its third year an R15 extension, named as the policy's)."""
    if quota_refugee and quota_policy:
        return Allowance(first_starts_on, r15_years=QUOTA_POLICY_YEARS), PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR
    return Allowance(first_starts_on), None


def check_first_period(starts_on: date, ends_on: date, allowance: Allowance) -> None:
    """R14: the first plan lasts at most 1 year, and never past the maximum."""
    if ends_on < starts_on:
        raise Refused("field.ends_on", "ends_on must not be before starts_on")
    if ends_on > last_day_of(starts_on, 1):
        raise Refused("R14", "the first plan lasts at most 1 year")
    if ends_on > allowance.maximum_on:
        raise Refused(allowance.maximum_rule, "the plan would run past the maximum the law allows")


@dataclass(frozen=True)
class ExtensionDecision:
    """What an extension grants: the rule, a policy when one granted it, and the allowance after it."""

    reason: ExtensionReason
    rule: str
    policy: PlanPolicy | None
    allowance: Allowance


def decide_extension(allowance: Allowance, *, current_until: date, until: date, reason: ExtensionReason,
                     under_25: bool, interruption_days: int | None) -> ExtensionDecision:
    """Decide whether the plan may run `until` on `reason`; refuse with the rule that forbids it.

    - continued within the maximum (R14): up to the maximum granted so far;
    - R15's grounds: up to 2 more years beyond the normal maximum, in total;
    - R16: by at most the length of the recorded interruption (`interruption_days`);
    - R17: under 25 only, once, by at most 1 year.
    A quota refugee's third year granted by the policy is already in the allowance; an extension into it
    is an R15 decision that names the policy (and grants nothing more).
    """
    if until <= current_until:
        raise Refused("field.until", "an extension must end after the plan's current end")
    if reason is ExtensionReason.CONTINUED_WITHIN_MAXIMUM:
        if until <= replace(allowance, r15_years=0).maximum_on:
            return ExtensionDecision(reason, "R14", None, allowance)
        if until <= allowance.maximum_on:  # into years R15 granted: the decision is R15's
            policy = PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR if allowance.r15_reason is None else None
            return ExtensionDecision(allowance.r15_reason or ExtensionReason.MULTI_SECTOR_SPECIAL_MEASURES, "R15",
                                     policy, allowance)
        raise Refused(allowance.maximum_rule, "all plans together run at most 2 years from the first plan's start "
                                              "unless extended on the grounds of R15-R17")
    if reason in R15_REASONS:
        after = replace(allowance, r15_years=R15_YEARS, r15_reason=reason)
        if until > after.maximum_on:
            raise Refused("R15", "an extension on R15's grounds is at most 2 more years")
        policy = PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR if (allowance.r15_years and allowance.r15_reason is None
                                                          and until <= allowance.maximum_on) else None
        return ExtensionDecision(reason, "R15", policy, after if policy is None else allowance)
    if reason is ExtensionReason.UNABLE_TO_CARRY_OUT:
        if interruption_days is None:
            raise Refused("R16", "an R16 extension needs a recorded interruption not yet made up for")
        if until > current_until + timedelta(days=interruption_days):
            raise Refused("R16", "an R16 extension is at most as long as the recorded interruption")
        after = replace(allowance, interruption_days=allowance.interruption_days + interruption_days)
        return ExtensionDecision(reason, "R16", None, after)
    if reason is ExtensionReason.SELF_MOTIVATED_STUDIES:
        if not under_25:
            raise Refused("R17", "the self-motivated studies extension is for clients under 25")
        if allowance.r17:
            raise Refused("R17", "the self-motivated studies extension was already granted")
        after = replace(allowance, r17=True)
        if until > add_years(current_until, R17_YEARS) or until > after.maximum_on:
            raise Refused("R17", "the self-motivated studies extension is at most 1 year")
        return ExtensionDecision(reason, "R17", None, after)
    raise Refused("field.reason", "unknown extension reason")  # pragma: no cover - the enum is closed


def after_first_review(allowance: Allowance, until: date) -> Allowance:
    """R18: a plan made before 2025 keeps the old maximum until its first review; after it the new rules
    apply, but the period then in force stands (`kept_until`)."""
    if not allowance.legacy:
        return allowance
    return replace(allowance, legacy=False, kept_until=until)


def legacy_applies(made_on: date, reviewed: bool) -> bool:
    """R18: a plan made before 1.1.2025 keeps the old maximum until its first review."""
    return made_on < LAW_OF_2025 and not reviewed


def check_import(made_on: date) -> None:
    if made_on >= LAW_OF_2025:
        raise Refused("R18", "only plans made before 1.1.2025 are imported; later plans are issued")


def interruption_days(from_on: date, to_on: date) -> int:
    """R16: the interruption's length in days, both ends included."""
    return (to_on - from_on).days + 1
