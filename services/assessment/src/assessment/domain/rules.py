"""The law assessment enforces, as pure functions named after their rules (law.md).

No I/O and no clock: callers pass the dates, the calendar and the facts. A refusal raises `Refused`
with the rule id; a computation returns its value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from backbone.workdays import WorkingDays
from contracts.events.assessment import InformationTopic, ServiceNeed
from contracts.vocabulary import LUVN_GROUPS, TargetGroup
from assessment.domain.errors import Refused

JOBSEEKER_INTERVIEW_WORKING_DAYS = 5
"""R9: a registered jobseeker's initial interview is due on the 5th working day after registration."""

DEFAULT_TARGET_WORKING_DAYS = 5
"""R8: the law says "without delay"; the programme's target, a setting, is 5 working days."""

NO_SHOW_FEE_MAX_CENTS = 5670
"""R26: the no-show fee is the interpretation cost, at most €56.70."""

NO_SHOW_FEE_MIN_AGE = 18
"""R26: never charged to anyone under 18."""

REPEAT_WINDOW_MONTHS = 12
"""R24: a second unjustified no-show or refusal within 12 months is flagged."""

OFFICIAL_LANGUAGES = frozenset({"fi", "sv"})
"""R27: an interpreter is arranged when the person knows neither Finnish nor Swedish."""

R28_TOPICS = frozenset(InformationTopic)
"""R28: what the client must be told at the initial interview."""

NO_PLAN_NEEDS = frozenset({ServiceNeed.GUIDANCE_AND_COUNSELLING})
"""R4: needs met without a plan: guidance and counselling is for everyone (R1)."""

DueRule = Literal["R8", "R9"]


def interview_due_on(registered_on: date, *, registered_jobseeker: bool, calendar: WorkingDays,
                     target_working_days: int = DEFAULT_TARGET_WORKING_DAYS) -> tuple[date, DueRule]:
    """R9 for a registered jobseeker: the 5th working day after the registration day (R31: the day
    itself not counted). R8 for everyone else: the configurable target in working days."""
    if registered_jobseeker:
        return calendar.add(registered_on, JOBSEEKER_INTERVIEW_WORKING_DAYS), "R9"
    if target_working_days < 0:
        raise ValueError("target_working_days must be at least 0")
    return calendar.add(registered_on, target_working_days), "R8"


def case_needed(state: str) -> bool:
    """R8: a client to be assessed gets a case at once; a guidance-only client (R1) gets none."""
    return state == "to_be_assessed"


def luvn_participation_required(target_groups: Iterable[TargetGroup | str]) -> bool:
    """R6: the wellbeing services county takes part for the groups the programme lists."""
    return not LUVN_GROUPS.isdisjoint(TargetGroup(g) for g in target_groups)


@dataclass(frozen=True)
class Interpreter:
    """An interpreter for an interview: in `language`, and whether they are the client's relative."""

    language: str
    relative: bool = False


def interpreter_needed(client_languages: Collection[str]) -> bool:
    """R27: the authority arranges interpretation when the person knows neither Finnish nor Swedish."""
    return OFFICIAL_LANGUAGES.isdisjoint(client_languages)


def check_interview_language(client_languages: Collection[str], language: str,
                             interpreter: Interpreter | None) -> None:
    """R27: the interview runs in a language the client knows well (their native language or one they
    understand), directly or through an interpreter who speaks it; a relative is never the interpreter;
    a client who knows neither Finnish nor Swedish gets an interpreter unless the interview is held in
    one of their own languages."""
    if interpreter is not None:
        if interpreter.relative:
            raise Refused("R27", "a relative of the client must not act as interpreter")
        if interpreter.language not in client_languages:
            raise Refused("R27", "interpreter.language must be a language the client knows")
        return
    if language not in client_languages:
        raise Refused("R27", "language is not one the client knows: book an interpreter")


def missing_information(given: Iterable[InformationTopic | str]) -> frozenset[InformationTopic]:
    """R28: the topics the client has not yet been told."""
    return R28_TOPICS - {InformationTopic(t) for t in given}


def no_show_fee_cents(*, interpretation_cost_cents: int, age: int, informed_at_booking: bool,
                      justified: bool) -> int:
    """R26: the fee for a missed, uncancelled appointment, in cents: the interpretation cost, at most
    5670; nothing from anyone under 18, for a justified absence, or unless the client was told at
    booking how to cancel. The caller passes the age in whole years, never a birth date."""
    if interpretation_cost_cents < 0:
        raise ValueError("interpretation_cost_cents must be at least 0")
    if age < 0:
        raise ValueError("age must be at least 0")
    if justified or age < NO_SHOW_FEE_MIN_AGE or not informed_at_booking:
        return 0
    return min(interpretation_cost_cents, NO_SHOW_FEE_MAX_CENTS)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when it has no such day (31.1 + 1 = 28/29.2)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def repeated_no_show(earlier_unjustified: Iterable[date], missed_on: date, *, registered_jobseeker: bool,
                     justified: bool) -> date | None:
    """R24: for a registered jobseeker's unjustified no-show or refusal on `missed_on`, the earliest
    earlier unjustified one within the 12 months before (on or after the same day a year earlier), or
    None when this is not a second one in 12 months (or not a jobseeker's, or justified)."""
    if not registered_jobseeker or justified:
        return None
    window_start = add_months(missed_on, -REPEAT_WINDOW_MONTHS)
    within = sorted(d for d in earlier_unjustified if window_start <= d <= missed_on)
    return within[0] if within else None


def plan_needed(service_needs: Iterable[ServiceNeed | str]) -> bool:
    """R4: a plan is drawn up when the assessment shows a need for one: any integration service beyond
    the guidance and counselling everyone gets (R1)."""
    return bool({ServiceNeed(n) for n in service_needs} - NO_PLAN_NEEDS)


def check_completion(*, interview_held: bool, information_given: Iterable[InformationTopic | str],
                     competence_recorded: bool, luvn_required: bool, luvn_confirmed: bool) -> None:
    """What must hold before an assessment is completed: the initial interview held, R28's information
    given in full, the competence recorded, and LUVN's participation confirmed where required (R6)."""
    if not interview_held:
        raise Refused("process.interview", "the initial interview must be held before completion")
    if missing_information(information_given):
        raise Refused("R28", "the client must be told every R28 topic before completion")
    if luvn_required and not luvn_confirmed:
        raise Refused("R6", "LUVN must confirm its participation before completion")
    if not competence_recorded:
        raise Refused("process.competence", "competence must be recorded before completion")
