"""Property tests over generated plan histories (R14-R18): no plan runs past the law's maximum, and no
legal plan is refused. The law's numbers are written out here, independently of `planning.domain.limits`."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events.planning import InterruptionCause, PlanExtended, PlanInterruptionRecorded, PlanIssued
from contracts.vocabulary import ExtensionReason
from planning.domain.errors import Refused
from planning.domain.plan import Plan, Policy
from services.planning.tests.factories import AGREEMENT, COMPLETED_ON, CONTENT, FACTS, ORG, Story

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)
REASONS = list(ExtensionReason)


def law_last_day(first: date, years: int, days: int = 0) -> date:
    return first + relativedelta(years=years) - DAY + timedelta(days=days)


starts = st.dates(min_value=COMPLETED_ON, max_value=date(2026, 6, 30))

step = st.one_of(
    st.tuples(st.just("extend"), st.sampled_from(REASONS), st.integers(1, 900), st.booleans()),
    st.tuples(st.just("interrupt"), st.integers(0, 400), st.integers(0, 200)),
    st.tuples(st.just("review"), st.integers(0, 200)),
)


def run(story: Story, steps) -> None:
    for s in steps:
        plan = story.plan
        try:
            if s[0] == "extend":
                _, reason, days, under_25 = s
                interruption = next((i for i in plan.interruptions if i not in plan.made_up), None)
                story.do("extend", by=ORG, until=plan.until + timedelta(days=days), reason=reason, under_25=under_25,
                         interruption_id=interruption if reason is ExtensionReason.UNABLE_TO_CARRY_OUT else None)
            elif s[0] == "interrupt":
                _, offset, length = s
                start = plan.starts_on + timedelta(days=offset)
                story.do("record_interruption", by=ORG, today=date(2035, 1, 1), interruption_id=uuid4(),
                         cause=InterruptionCause.ILLNESS, from_on=start, to_on=start + timedelta(days=length))
            else:
                story.do("review", by=ORG, today=date(2035, 1, 1), reviewed_on=plan.starts_on + timedelta(days=s[1]),
                         occasion="scheduled")
        except Refused:
            pass


@settings(max_examples=150, deadline=None)
@given(start=starts, first_length=st.integers(0, 400), quota=st.booleans(), policy_on=st.booleans(),
       steps=st.lists(step, max_size=12))
def test_r14_r15_r16_r17_no_generated_history_runs_past_the_laws_maximum(start, first_length, quota, policy_on, steps):
    story = Story()
    try:
        story.issue(today=start, starts_on=start, ends_on=start + timedelta(days=first_length),
                    agreement=AGREEMENT.__class__(start, "ar", False), quota_refugee=quota,
                    policy=Policy(quota_refugee_three_years=policy_on))
    except Refused as refused:
        assert refused.rule == "R14" and first_length >= 365
        return
    run(story, steps)

    events = story.history
    issued = next(e for e in events if isinstance(e, PlanIssued))
    extensions = [e for e in events if isinstance(e, PlanExtended)]
    spans = {e.interruption_id: (e.to_on - e.from_on).days + 1 for e in events if isinstance(e, PlanInterruptionRecorded)}
    assert issued.ends_on <= law_last_day(start, 1)
    r15 = 2 if any(e.rule == "R15" and e.policy is None for e in extensions) else (1 if quota and policy_on else 0)
    r17 = 1 if any(e.rule == "R17" for e in extensions) else 0
    made_up = sum(spans[e.interruption_id] for e in extensions if e.rule == "R16")
    assert story.plan.until <= law_last_day(start, 2 + r15 + r17, made_up)
    assert r17 == 0 or sum(e.rule == "R17" for e in extensions) == 1
    assert len({e.interruption_id for e in extensions if e.rule == "R16"}) == sum(e.rule == "R16" for e in extensions)
    for e in extensions:
        assert e.until <= e.maximum_on
        if e.rule == "R16":
            assert (e.until - e.previous_until).days <= spans[e.interruption_id]
        if e.rule == "R17":
            assert e.until <= e.previous_until + relativedelta(years=1)


legal_step = st.one_of(
    st.tuples(st.just("continue"), st.floats(0.01, 1.0)),
    st.tuples(st.just("r15"), st.sampled_from([ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES,
                                               ExtensionReason.MULTI_SECTOR_SPECIAL_MEASURES,
                                               ExtensionReason.HOME_CARE_ALLOWANCE_PART_TIME]), st.floats(0.01, 1.0)),
    st.tuples(st.just("r16"), st.integers(1, 120), st.floats(0.01, 1.0)),
    st.tuples(st.just("r17"), st.floats(0.01, 1.0)),
)


def pick(low: date, high: date, fraction: float) -> date | None:
    """A day in (low, high], or None when there is none."""
    span = (high - low).days
    return None if span < 1 else low + timedelta(days=max(1, round(span * fraction)))


@settings(max_examples=150, deadline=None)
@given(start=starts, first_length=st.integers(0, 364), under_25=st.booleans(), steps=st.lists(legal_step, max_size=8))
def test_r14_r15_r16_r17_no_legal_history_is_refused(start, first_length, under_25, steps):
    """Each step is built legal by the law's own numbers; the domain must accept every one."""
    story = Story()
    story.issue(today=start, starts_on=start, ends_on=start + timedelta(days=first_length),
                agreement=AGREEMENT.__class__(start, "ar", False))
    r15 = r17 = False
    days = 0
    for s in steps:
        until = story.plan.until
        maximum = law_last_day(start, 2 + (2 if r15 else 0) + (1 if r17 else 0), days)
        if s[0] == "continue" and (day := pick(until, maximum, s[1])):
            story.do("extend", by=ORG, until=day, reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM, under_25=under_25)
        elif s[0] == "r15" and (day := pick(until, law_last_day(start, 4 + (1 if r17 else 0), days), s[2])):
            story.do("extend", by=ORG, until=day, reason=s[1], under_25=under_25)
            r15 = True
        elif s[0] == "r16":
            interruption, length = uuid4(), s[1]
            plan = story.plan
            free_from = max([plan.starts_on] + [t + DAY for _, t in plan.interruptions.values()])
            if free_from + timedelta(days=length - 1) > plan.until:
                continue
            story.do("record_interruption", by=ORG, today=date(2035, 1, 1), interruption_id=interruption,
                     cause=InterruptionCause.DISABILITY, from_on=free_from, to_on=free_from + timedelta(days=length - 1))
            if until <= maximum:
                story.do("extend", by=ORG, until=pick(until, until + timedelta(days=length), s[2]),
                         reason=ExtensionReason.UNABLE_TO_CARRY_OUT, under_25=under_25, interruption_id=interruption)
                days += length
        elif s[0] == "r17" and under_25 and not r17 and until <= maximum:
            day = pick(until, until + relativedelta(years=1), s[1])
            story.do("extend", by=ORG, until=day, reason=ExtensionReason.SELF_MOTIVATED_STUDIES, under_25=True)
            r17 = True
    assert story.plan.status == "in_force"


def test_plan_rebuilt_from_its_events_is_the_same_plan():
    story = Story()
    story.issue()
    plan = story.plan

    again = Plan.from_history(plan.id, plan.client_id, story.history)

    assert (again.until, again.allowance, again.version) == (plan.until, plan.allowance, len(story.history))
    assert FACTS.responsible_organisation == again.owner and CONTENT.services == again.services
