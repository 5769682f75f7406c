"""The plan aggregate at its edges: each command's last allowed day and first refused one, its defaults and
the rule id of each refusal; a plan rebuilt from events read back as JSON. Written to kill the mutants
`make mutate MODULES=plan` found surviving `test_plan.py` and `test_plan_properties.py`."""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError, replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from contracts.events.planning import InterruptionCause, PlanEndReason, PlanExtended, PlanPolicy, ReviewOccasion
from contracts.vocabulary import ExtensionReason, Organisation
from planning.domain.errors import Refused
from planning.domain.limits import Allowance
from planning.domain.plan import Agreement, ClientFacts, Content, Plan, Policy
from services.planning.tests.factories import AGREEMENT, CONTENT, FACTS, ISSUED_ON, ORG, STARTS_ON, Story, issued_story

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)
TODAY = date(2025, 8, 1)
"""A day while the default issued plan (1.4.2025-31.3.2026) is in force."""


def refused(call, rule: str) -> None:
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.rule == rule


def imported(**overrides) -> Plan:
    kwargs = dict(made_on=date(2024, 6, 1), first_starts_on=date(2024, 6, 1), starts_on=date(2024, 6, 1),
                  ends_on=date(2025, 5, 31), plan_content=CONTENT, reviewed=False, last_review_on=None, facts=FACTS)
    return Plan.imported(uuid4(), uuid4(), **{**kwargs, **overrides})


def interrupt(story: Story, from_on: date, to_on: date, *, today: date = TODAY, interruption_id=None):
    return story.do("record_interruption", by=ORG, today=today, interruption_id=interruption_id or uuid4(),
                    cause=InterruptionCause.ILLNESS, from_on=from_on, to_on=to_on)


def extend(story: Story, until: date, reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM, **kwargs):
    return story.do("extend", by=ORG, until=until, reason=reason, under_25=kwargs.pop("under_25", False), **kwargs)


class TestValuesAndDefaults:
    @pytest.mark.parametrize("value", [Policy(), FACTS, CONTENT, AGREEMENT], ids=lambda v: type(v).__name__)
    def test_the_inputs_of_a_decision_cannot_be_changed_after_it(self, value):
        with pytest.raises(FrozenInstanceError):
            value.languages = ()

    def test_policy_defaults_r10_target_of_10_working_days_and_the_quota_refugee_third_year(self):
        policy = Policy()

        assert (policy.drawing_up_target_working_days, policy.quota_refugee_three_years) == (10, True)
        assert policy.working_days.add(date(2025, 3, 20), 10) == date(2025, 4, 3)

    @pytest.mark.parametrize(("method", "positional"), [
        (Plan.open, ["cls", "plan_id", "client_id"]),
        (Plan.imported, ["cls", "plan_id", "client_id"]),
        (Plan.from_history, ["cls", "plan_id", "client_id", "events"]),
        (Plan.issue, ["self"]), (Plan.refuse, ["self"]), (Plan.extend, ["self"]), (Plan.review, ["self"]),
        (Plan.record_interruption, ["self"]), (Plan.end, ["self"]), (Plan.hand_over, ["self"]),
    ], ids=lambda v: getattr(v, "__name__", "-"))
    def test_commands_take_their_facts_by_keyword_only(self, method, positional):
        parameters = inspect.signature(method.__func__ if inspect.ismethod(method) else method).parameters.values()

        assert [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY] == positional

    def test_a_new_plan_is_version_0_and_each_event_adds_one(self):
        story = issued_story()
        bare = Plan(uuid4(), uuid4())

        assert (bare.version, bare.status, bare.owner, bare.luvn_participation) == (0, "to_be_drawn_up", None, False)
        assert [Plan.from_history(story.id, story.client_id, story.history[:n]).version for n in (0, 1, 3)] == [0, 1, 3]


class TestIssuingEdges:
    def test_a_plan_may_start_31_days_before_it_is_drawn_up_not_32(self):
        refused(lambda: Story().issue(starts_on=ISSUED_ON - 32 * DAY, ends_on=date(2025, 12, 31),
                                      agreement=replace(AGREEMENT, agreed_on=date(2025, 3, 20))), "field.starts_on")
        Story().issue(starts_on=ISSUED_ON - 31 * DAY, ends_on=date(2025, 12, 31),
                      agreement=replace(AGREEMENT, agreed_on=date(2025, 3, 20)))

    def test_r23_agreed_on_the_day_of_issue_not_the_day_after(self):
        refused(lambda: Story().issue(agreement=replace(AGREEMENT, agreed_on=ISSUED_ON + DAY)), "R23")
        events = Story().issue(agreement=replace(AGREEMENT, agreed_on=ISSUED_ON))
        assert events[0].agreed_on == ISSUED_ON

    def test_a_client_without_international_protection_who_is_no_quota_refugee_gets_a_plan(self):
        facts = replace(FACTS, international_protection=False)

        issued = Story(facts).issue(facts=facts, quota_refugee=False)[-1]

        assert (issued.maximum_rule, issued.policy) == ("R14", None)

    def test_the_first_plan_may_last_one_day(self):
        issued = Story().issue(ends_on=STARTS_ON)[-1]

        assert (issued.starts_on, issued.ends_on) == (STARTS_ON, STARTS_ON)

    def test_a_later_plan_may_end_on_its_start_but_not_before_it(self):
        earlier = Allowance(date(2024, 5, 1))

        def later(ends_on: date) -> Plan:
            story = Story()
            plan = Plan.from_history(story.id, story.client_id, story.history, earlier=earlier)
            plan.issue(by=ORG, today=ISSUED_ON, starts_on=STARTS_ON, ends_on=ends_on, plan_content=CONTENT,
                       agreement=AGREEMENT, facts=FACTS, under_25=False, quota_refugee=False, policy=Policy())
            return plan

        refused(lambda: later(STARTS_ON - DAY), "field.ends_on")
        assert later(STARTS_ON).pending[-1].ends_on == STARTS_ON
        assert later(date(2026, 4, 30)).pending[-1].maximum_on == date(2026, 4, 30)
        refused(lambda: later(date(2026, 5, 1)), "R14")

    def test_r14_a_later_plan_read_back_from_json_keeps_what_the_earlier_plans_were_granted(self):
        earlier = Allowance(date(2024, 5, 1), r17=True)
        story = Story()
        plan = Plan.from_history(story.id, story.client_id, story.history, earlier=earlier)
        plan.issue(by=ORG, today=ISSUED_ON, starts_on=STARTS_ON, ends_on=date(2026, 3, 31), plan_content=CONTENT,
                   agreement=AGREEMENT, facts=FACTS, under_25=False, quota_refugee=False, policy=Policy())
        read_back = [type(e).model_validate_json(e.model_dump_json()) for e in story.history + plan.pending]

        again = Plan.from_history(story.id, story.client_id, read_back, earlier=Allowance(date(2024, 5, 1), r17=True))

        assert again.allowance == earlier
        assert again.allowance.maximum_on == date(2027, 4, 30)

    def test_a_plans_allowance_is_2_years_without_the_quota_policy_and_3_with_it(self):
        assert issued_story().plan.allowance == Allowance(STARTS_ON)
        quota = issued_story(quota_refugee=True).plan.allowance
        assert (quota.r15_years, quota.maximum_on) == (1, date(2028, 3, 31))
        extend(issued_story(quota_refugee=True), date(2028, 3, 31))

    def test_a_rebuilt_plan_counts_from_its_own_first_start_when_the_earlier_allowance_is_another_clients(self):
        story = issued_story()
        other = Allowance(date(2024, 1, 1), r17=True)

        later = Allowance(date(2026, 1, 1), r17=True)

        for earlier in (other, later):
            plan = Plan.from_history(story.id, story.client_id, story.history, earlier=earlier)
            assert plan.allowance == Allowance(STARTS_ON)


class TestRefusalEdges:
    def test_r25_a_refusal_is_recorded_on_the_day_not_before_it(self):
        refused(lambda: Story().do("refuse", by=ORG, today=ISSUED_ON, refused_on=ISSUED_ON + DAY, good_reason=False),
                "field.refused_on")

    def test_r25_a_refusal_on_the_day_or_earlier_is_recorded(self):
        story = issued_story()

        story.do("refuse", by=ORG, today=date(2025, 8, 1), refused_on=date(2025, 8, 1), good_reason=True)
        story.do("refuse", by=ORG, today=date(2025, 8, 1), refused_on=date(2025, 7, 31), good_reason=True)

        assert [e.refused_on for e in story.history[-2:]] == [date(2025, 8, 1), date(2025, 7, 31)]

    def test_r25_an_ended_plan_records_no_refusal(self):
        story = issued_story()
        story.do("end", by=ORG, today=TODAY, ended_on=TODAY, reason=PlanEndReason.EMPLOYMENT)

        refused(lambda: story.do("refuse", by=ORG, today=TODAY, refused_on=TODAY, good_reason=False), "state.plan")

    def test_r25_a_refusal_is_recorded_on_a_plan_in_force(self):
        event = issued_story().do("refuse", by=ORG, today=TODAY, refused_on=TODAY, good_reason=False)[0]

        assert (event.refused_on, event.social_assistance_cut_possible) == (TODAY, True)

    def test_only_the_owner_records_a_refusal(self):
        refused(lambda: Story().do("refuse", by=Organisation.HANGO, today=ISSUED_ON, refused_on=ISSUED_ON,
                                   good_reason=True), "ownership.plan")


class TestExtensionEdges:
    def test_r16_extension_without_an_interruption_is_refused_with_r16(self):
        refused(lambda: extend(issued_story(), date(2026, 4, 30), ExtensionReason.UNABLE_TO_CARRY_OUT), "R16")

    def test_r16_extension_naming_an_interruption_of_another_plan_is_refused_with_r16(self):
        story = issued_story()
        interrupt(story, date(2025, 6, 1), date(2025, 6, 30))

        refused(lambda: extend(story, date(2026, 4, 30), ExtensionReason.UNABLE_TO_CARRY_OUT,
                               interruption_id=uuid4()), "R16")

    def test_only_an_r16_extension_names_an_interruption(self):
        story = issued_story()
        interruption = uuid4()
        interrupt(story, date(2025, 6, 1), date(2025, 6, 30), interruption_id=interruption)

        refused(lambda: extend(story, date(2026, 4, 30), interruption_id=interruption), "field.interruption_id")
        event = extend(story, date(2026, 4, 30))[0]
        assert (event.rule, event.interruption_id, event.previous_until) == ("R14", None, date(2026, 3, 31))

    def test_r16_made_up_days_add_up_over_interruptions(self):
        story = issued_story()
        first, second = uuid4(), uuid4()
        interrupt(story, date(2025, 6, 1), date(2025, 6, 30), interruption_id=first)
        interrupt(story, date(2025, 7, 1), date(2025, 7, 10), interruption_id=second)
        extend(story, date(2027, 3, 31))

        extend(story, date(2027, 4, 30), ExtensionReason.UNABLE_TO_CARRY_OUT, interruption_id=first)
        last = extend(story, date(2027, 5, 10), ExtensionReason.UNABLE_TO_CARRY_OUT, interruption_id=second)[0]

        assert (story.plan.allowance.interruption_days, last.maximum_on) == (40, date(2027, 5, 10))
        refused(lambda: extend(story, date(2027, 5, 11)), "R16")

    def test_r15_extension_raises_the_maximum_two_years_and_a_later_continuation_reaches_it(self):
        story = issued_story()
        extend(story, date(2027, 3, 31))
        extend(story, date(2028, 3, 31), ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES)

        assert story.plan.allowance.r15_years == 2
        extend(story, date(2029, 3, 31))
        refused(lambda: extend(story, date(2029, 4, 1)), "R15")

    def test_r17_year_is_granted_once_and_raises_the_maximum(self):
        story = issued_story()
        extend(story, date(2027, 3, 31))
        extend(story, date(2027, 9, 30), ExtensionReason.SELF_MOTIVATED_STUDIES, under_25=True)

        assert story.plan.allowance.r17 is True
        extend(story, date(2028, 3, 31))
        refused(lambda: extend(story, date(2028, 4, 1)), "R17")

    def test_extensions_read_back_from_json_rebuild_the_same_allowance(self):
        """Rule ids read back from the event store are equal to the rule literals, not the same objects."""
        story = issued_story()
        interruption = uuid4()
        interrupt(story, date(2025, 6, 1), date(2025, 6, 30), interruption_id=interruption)
        extend(story, date(2027, 3, 31))
        extend(story, date(2027, 4, 30), ExtensionReason.UNABLE_TO_CARRY_OUT, interruption_id=interruption)
        extend(story, date(2028, 4, 30), ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES)
        extend(story, date(2028, 10, 30), ExtensionReason.SELF_MOTIVATED_STUDIES, under_25=True)
        plan = story.plan

        read_back = [type(e).model_validate_json(e.model_dump_json()) for e in story.history]
        again = Plan.from_history(story.id, story.client_id, read_back)

        assert all(isinstance(e, PlanExtended) for e in read_back[-4:])
        assert again.allowance == plan.allowance
        assert (again.allowance.r15_years, again.allowance.interruption_days, again.allowance.r17) == (2, 30, True)
        assert again.made_up == {interruption}

    def test_an_r16_extension_naming_an_unrecorded_interruption_grants_no_days_when_rebuilt(self):
        story = issued_story()
        stray = PlanExtended(plan_id=story.id, until=date(2026, 4, 30), reason=ExtensionReason.UNABLE_TO_CARRY_OUT,
                             rule="R16", previous_until=date(2026, 3, 31), maximum_on=date(2027, 3, 31),
                             interruption_id=uuid4())

        plan = Plan.from_history(story.id, story.client_id, story.history + [stray])

        assert (plan.until, plan.allowance.interruption_days) == (date(2026, 4, 30), 0)

    def test_quota_policys_third_year_extension_grants_no_more_years(self):
        story = issued_story(quota_refugee=True)
        event = extend(story, date(2028, 3, 31))[0]

        assert (event.rule, event.policy) == ("R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR)
        assert story.plan.allowance.r15_years == 1
        refused(lambda: extend(story, date(2028, 4, 1)), "R15")


class TestReviewEdges:
    def test_r13_first_review_may_fall_on_the_plans_start_not_before(self):
        story = issued_story()
        review = dict(by=ORG, today=TODAY, occasion=ReviewOccasion.SCHEDULED)

        refused(lambda: story.do("review", reviewed_on=STARTS_ON - DAY, **review), "R13")
        assert story.do("review", reviewed_on=STARTS_ON, **review)[0].next_review_due_on == date(2025, 10, 1)


class TestInterruptionEdges:
    def test_r16_an_interruption_may_be_one_day_but_not_end_before_it_starts(self):
        story = issued_story()

        refused(lambda: interrupt(story, date(2025, 6, 2), date(2025, 6, 1)), "field.to_on")
        assert interrupt(story, date(2025, 6, 1), date(2025, 6, 1))[0].to_on == date(2025, 6, 1)

    def test_r16_an_interruption_starts_on_the_plans_first_day_at_the_earliest(self):
        story = issued_story()

        refused(lambda: interrupt(story, STARTS_ON - DAY, STARTS_ON), "R16")
        assert interrupt(story, STARTS_ON, STARTS_ON)[0].from_on == STARTS_ON

    def test_r16_an_interruption_starts_on_the_plans_last_day_at_the_latest(self):
        story = issued_story()
        until = date(2026, 3, 31)

        refused(lambda: interrupt(story, until + DAY, until + DAY, today=date(2026, 6, 1)), "R16")
        assert interrupt(story, until, until, today=date(2026, 6, 1))[0].from_on == until

    def test_r16_an_interruption_ends_today_at_the_latest(self):
        story = issued_story()

        refused(lambda: interrupt(story, date(2025, 7, 1), TODAY + DAY), "R16")
        assert interrupt(story, date(2025, 7, 1), TODAY)[0].to_on == TODAY

    def test_r16_interruptions_touching_by_a_day_overlap_adjacent_ones_do_not(self):
        story = issued_story()
        interrupt(story, date(2025, 6, 10), date(2025, 6, 20))

        refused(lambda: interrupt(story, date(2025, 6, 1), date(2025, 6, 10)), "R16")
        refused(lambda: interrupt(story, date(2025, 6, 20), date(2025, 6, 25)), "R16")
        refused(lambda: interrupt(story, date(2025, 6, 12), date(2025, 6, 15)), "R16")
        refused(lambda: interrupt(story, date(2025, 6, 1), date(2025, 6, 30)), "R16")
        interrupt(story, date(2025, 6, 1), date(2025, 6, 9))
        interrupt(story, date(2025, 6, 21), date(2025, 6, 30))
        assert len(story.plan.interruptions) == 3

    def test_r16_interruptions_are_recorded_only_on_a_plan_in_force(self):
        refused(lambda: interrupt(Story(), date(2025, 6, 1), date(2025, 6, 2)), "state.plan")


class TestEndAndHandoverEdges:
    def test_a_plan_ends_today_at_the_latest(self):
        story = issued_story()

        refused(lambda: story.do("end", by=ORG, today=TODAY, ended_on=TODAY + DAY, reason=PlanEndReason.EMPLOYMENT),
                "field.ended_on")
        assert story.plan.status == "in_force"

    def test_a_plan_may_end_on_a_day_before_today(self):
        story = issued_story()

        story.do("end", by=ORG, today=TODAY, ended_on=TODAY - DAY, reason=PlanEndReason.EMPLOYMENT)

        assert (story.plan.status, story.plan.ended_on) == ("ended", TODAY - DAY)

    def test_a_plan_to_be_drawn_up_can_end(self):
        story = Story()

        story.do("end", by=ORG, today=ISSUED_ON, ended_on=ISSUED_ON, reason=PlanEndReason.REFUSED)

        assert (story.plan.status, story.plan.ended_on, story.plan.end_reason) == (
            "ended", ISSUED_ON, PlanEndReason.REFUSED)

    def test_r5_a_plan_passes_to_any_other_organisation(self):
        facts = replace(FACTS, responsible_organisation=Organisation.HANGO)
        story = Story(facts)

        for to in (Organisation.RASEBORG, Organisation.EMPLOYMENT_REGION, Organisation.INGA):
            event = story.do("hand_over", to=to, effective_on=TODAY)[0]
            assert (event.responsible_organisation, story.plan.owner) == (to, to)

    def test_an_ended_plan_is_not_handed_over(self):
        story = issued_story()
        story.do("end", by=ORG, today=TODAY, ended_on=TODAY, reason=PlanEndReason.EMPLOYMENT)

        assert story.do("hand_over", to=Organisation.EMPLOYMENT_REGION, effective_on=TODAY) == []
        assert story.plan.owner == ORG


class TestDeadlineEdges:
    def test_an_ended_plan_misses_no_deadline(self):
        story = issued_story()
        story.do("end", by=ORG, today=TODAY, ended_on=TODAY, reason=PlanEndReason.EMPLOYMENT)

        assert story.do("check_deadlines", today=date(2030, 1, 1), referred=set()) == []

    def test_r11_last_day_missed_the_day_after_not_on_it(self):
        story = Story()
        story.do("check_deadlines", today=date(2025, 4, 4), referred=set())

        assert story.do("check_deadlines", today=date(2027, 1, 15), referred=set()) == []
        assert [e.rule for e in story.do("check_deadlines", today=date(2027, 1, 16), referred=set())] == ["R11"]

    def test_r3_a_trafficking_victims_plan_misses_only_the_r10_target(self):
        facts = replace(FACTS, trafficking_victim=True)

        missed = Story(facts).do("check_deadlines", today=date(2035, 1, 1), referred=set())

        assert [e.rule for e in missed] == ["R10"]

    def test_r12_an_imported_plan_has_no_referral_deadline_but_its_review_is_due(self):
        plan = imported()
        story = Story()
        story.id, story.client_id, story.history = plan.id, plan.client_id, list(plan.pending)

        missed = story.do("check_deadlines", today=date(2025, 1, 1), referred=set())

        assert [(e.rule, e.due_on) for e in missed] == [("R13", date(2024, 12, 1))]

    def test_r12_every_referral_on_its_due_day_misses_nothing_the_day_after_each_unreferred_service(self):
        story = issued_story()

        assert story.do("check_deadlines", today=date(2025, 4, 30), referred=set()) == []
        assert sorted(e.service_code for e in story.do("check_deadlines", today=date(2025, 5, 1), referred=[])) == \
            sorted(CONTENT.services)


class TestImportEdges:
    def test_r18_an_imported_plan_may_run_to_its_old_maximum_not_a_day_past_it(self):
        assert imported(ends_on=date(2027, 5, 31)).pending[0].maximum_on == date(2027, 5, 31)
        refused(lambda: imported(ends_on=date(2027, 6, 1)), "R18")

    def test_r14_a_reviewed_imported_plan_has_the_new_maximum(self):
        plan = imported(reviewed=True, last_review_on=date(2024, 12, 1))

        assert (plan.pending[0].maximum_on, plan.pending[0].maximum_rule) == (date(2026, 5, 31), "R14")
        assert plan.allowance == Allowance(date(2024, 6, 1))
        refused(lambda: imported(reviewed=True, ends_on=date(2026, 6, 1)), "R14")

    def test_r18_an_imported_plan_read_back_from_json_keeps_the_old_maximum(self):
        plan = imported()
        read_back = [type(e).model_validate_json(e.model_dump_json()) for e in plan.pending]

        again = Plan.from_history(plan.id, plan.client_id, read_back)

        assert again.allowance == Allowance(date(2024, 6, 1), legacy=True)
        assert again.allowance.maximum_on == date(2027, 5, 31)

    def test_r13_an_imported_plans_review_is_due_6_months_after_its_last_review_or_else_its_start(self):
        assert imported().pending[0].review_due_on == date(2024, 12, 1)
        assert imported(last_review_on=date(2024, 9, 15)).pending[0].review_due_on == date(2025, 3, 15)

    def test_an_imported_plan_starts_on_or_after_the_first_and_ends_on_or_after_its_start(self):
        first = date(2024, 6, 1)

        plan = imported(first_starts_on=first, starts_on=first, ends_on=first)
        assert (plan.starts_on, plan.until) == (first, first)
        later = imported(first_starts_on=first, starts_on=date(2024, 9, 1), ends_on=date(2025, 8, 31))
        assert (later.starts_on, later.allowance.first_starts_on) == (date(2024, 9, 1), first)
        refused(lambda: imported(first_starts_on=first, starts_on=first - DAY), "field.starts_on")
        refused(lambda: imported(starts_on=date(2024, 9, 1), ends_on=date(2024, 8, 31)), "field.starts_on")


def test_the_facts_of_an_agreement_and_content_are_kept_on_the_events():
    agreement = Agreement(ISSUED_ON, "fi", interpreter=True)
    content = Content(goals=CONTENT.goals, services=("civic_orientation.ar",), job_search_obligation=False,
                      follow_up=CONTENT.follow_up, reasons=CONTENT.reasons)
    facts = ClientFacts(responsible_organisation=ORG, registered_jobseeker=False, languages=("ar",),
                        window_ends_on=None, trafficking_victim=False, international_protection=True,
                        luvn_participation=False)

    agreed, issued = Story(facts).issue(agreement=agreement, plan_content=content, facts=facts)

    assert (agreed.language, agreed.interpreter, issued.interpreter, issued.services) == (
        "fi", True, True, ("civic_orientation.ar",))
    assert (issued.luvn_participation, issued.responsible_organisation) == (False, ORG)
