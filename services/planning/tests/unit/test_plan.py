"""The plan aggregate: each command's events, and the rule that refuses it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from contracts.events.planning import (
    InterruptionCause,
    PlanAgreementRecorded,
    PlanDeadline,
    PlanEndReason,
    PlanGoal,
    PlanIssued,
    PlanPolicy,
    ReviewOccasion,
)
from contracts.vocabulary import ExtensionReason, Organisation
from planning.domain import limits
from planning.domain.errors import Refused
from planning.domain.plan import Agreement, Plan, Policy
from services.planning.tests.factories import AGREEMENT, CONTENT, FACTS, ISSUED_ON, ORG, Story, issued_story

pytestmark = pytest.mark.unit


def rule_of(call) -> str:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.rule


class TestOpening:
    def test_r4_r10_opens_a_plan_to_be_drawn_up_with_its_target_and_last_day(self):
        story = Story()

        opened = story.history[0]
        assert opened.TYPE == "PlanOpened"
        assert (opened.due_on, opened.latest_on, opened.rule) == (date(2025, 4, 3), date(2027, 1, 15), "R10")
        assert story.plan.status == "to_be_drawn_up" and story.plan.owner == ORG

    def test_r4_refuses_to_open_without_a_need(self):
        assert rule_of(lambda: Plan.open(uuid4(), uuid4(), assessment_id=uuid4(), completed_on=date(2025, 3, 20),
                                         plan_needed=False, facts=FACTS, policy=Policy())) == "R4"

    def test_r3_trafficking_victims_plan_has_no_last_day(self):
        story = Story(replace(FACTS, trafficking_victim=True))

        assert story.history[0].latest_on is None
        story.issue(today=date(2031, 1, 5), starts_on=date(2031, 1, 5), ends_on=date(2032, 1, 4),
                    agreement=replace(AGREEMENT, agreed_on=date(2031, 1, 5)))
        assert story.plan.status == "in_force"


class TestIssuing:
    def test_r23_agreement_is_recorded_before_plan_issued(self):
        events = issued_story().history[1:]

        assert [type(e) for e in events] == [PlanAgreementRecorded, PlanIssued]
        issued = events[1]
        assert (issued.agreed_on, issued.language, issued.first_starts_on) == (ISSUED_ON, "ar", date(2025, 4, 1))
        assert (issued.maximum_on, issued.maximum_rule, issued.policy) == (date(2027, 3, 31), "R14", None)
        assert (issued.review_due_on, issued.referrals_due_on) == (date(2025, 10, 1), date(2025, 4, 30))

    def test_r23_refuses_a_plan_without_the_clients_agreement(self):
        story = Story()

        assert rule_of(lambda: story.issue(agreement=None)) == "R23"
        assert story.plan.status == "to_be_drawn_up"

    def test_r23_agreement_in_a_language_the_client_does_not_know_needs_an_interpreter(self):
        story = Story()

        assert rule_of(lambda: story.issue(agreement=Agreement(ISSUED_ON, "fi", interpreter=False))) == "R23"
        story.issue(agreement=Agreement(ISSUED_ON, "fi", interpreter=True))

    def test_r11_refuses_the_day_after_the_window(self):
        late = date(2027, 1, 16)
        kwargs = dict(today=late, starts_on=late, ends_on=date(2028, 1, 15), agreement=replace(AGREEMENT, agreed_on=late))

        assert rule_of(lambda: Story().issue(**kwargs)) == "R11"
        Story().issue(**{**kwargs, "today": date(2027, 1, 15), "starts_on": date(2027, 1, 15),
                         "ends_on": date(2028, 1, 14), "agreement": replace(AGREEMENT, agreed_on=date(2027, 1, 15))})

    def test_r14_refuses_a_first_plan_of_a_year_and_a_day(self):
        assert rule_of(lambda: Story().issue(ends_on=date(2026, 4, 1))) == "R14"

    def test_r19_a_jobseekers_plan_aims_at_employment_and_records_the_job_search_obligation(self):
        jobseeker = replace(FACTS, registered_jobseeker=True)

        assert rule_of(lambda: Story(jobseeker).issue(facts=jobseeker)) == "R19"
        with_goal = replace(CONTENT, goals=(PlanGoal.EMPLOYMENT,))
        assert rule_of(lambda: Story(jobseeker).issue(facts=jobseeker, plan_content=with_goal)) == "R19"
        Story(jobseeker).issue(facts=jobseeker, plan_content=replace(with_goal, job_search_obligation=True))

    def test_r19_others_aim_at_working_life_readiness_or_employment(self):
        content = replace(CONTENT, goals=(PlanGoal.LANGUAGE_SKILLS,))

        assert rule_of(lambda: Story().issue(plan_content=content)) == "R19"

    def test_r19_under_25_aims_at_upper_secondary_unless_a_reason_says_why_not(self):
        assert rule_of(lambda: Story().issue(under_25=True)) == "R19"
        Story().issue(under_25=True, plan_content=replace(CONTENT, reasons=("upper_secondary_not_suitable",)))
        Story().issue(under_25=True, plan_content=replace(
            CONTENT, goals=CONTENT.goals + (PlanGoal.UPPER_SECONDARY_EDUCATION,)))

    @pytest.mark.parametrize("field", ["services", "follow_up", "reasons"])
    def test_r19_content_is_complete(self, field):
        assert rule_of(lambda: Story().issue(plan_content=replace(CONTENT, **{field: ()}))) == "R19"

    def test_quota_refugee_plan_runs_three_years_by_policy(self):
        issued = Story().issue(quota_refugee=True)[-1]

        assert (issued.maximum_on, issued.maximum_rule, issued.policy) == (
            date(2028, 3, 31), "R15", PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR)

    def test_quota_policy_switched_off(self):
        issued = Story().issue(quota_refugee=True, policy=Policy(quota_refugee_three_years=False))[-1]

        assert (issued.maximum_on, issued.maximum_rule, issued.policy) == (date(2027, 3, 31), "R14", None)

    def test_quota_refugee_needs_the_international_protection_group(self):
        facts = replace(FACTS, international_protection=False)

        assert rule_of(lambda: Story(facts).issue(facts=facts, quota_refugee=True)) == "field.quota_refugee"

    def test_a_plan_is_issued_once(self):
        story = issued_story()

        assert rule_of(lambda: story.issue()) == "state.plan"


class TestR25Refusal:
    def test_r25_refusal_without_good_reason_flags_a_possible_cut(self):
        story = Story()

        event = story.do("refuse", by=ORG, today=ISSUED_ON, refused_on=ISSUED_ON, good_reason=False)[0]

        assert (event.rule, event.social_assistance_cut_possible) == ("R25", True)
        assert story.plan.status == "to_be_drawn_up"

    def test_r25_refusal_with_good_reason_flags_nothing(self):
        event = Story().do("refuse", by=ORG, today=ISSUED_ON, refused_on=ISSUED_ON, good_reason=True)[0]

        assert event.social_assistance_cut_possible is False


class TestExtensionsOnThePlan:
    def test_r14_continued_then_r15_and_the_events_name_reason_and_rule(self):
        story = issued_story()

        first = story.do("extend", by=ORG, until=date(2027, 3, 31), reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM,
                         under_25=False)[0]
        second = story.do("extend", by=ORG, until=date(2028, 3, 31),
                          reason=ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES, under_25=False)[0]

        assert (first.rule, first.previous_until, first.maximum_on) == ("R14", date(2026, 3, 31), date(2027, 3, 31))
        assert (second.rule, second.maximum_on) == ("R15", date(2029, 3, 31))

    def test_r16_extension_by_a_recorded_interruption_once(self):
        story = issued_story()
        interruption = uuid4()
        story.do("record_interruption", by=ORG, today=date(2025, 8, 1), interruption_id=interruption,
                 cause=InterruptionCause.ILLNESS, from_on=date(2025, 6, 1), to_on=date(2025, 6, 30))
        story.do("extend", by=ORG, until=date(2027, 3, 31), reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM,
                 under_25=False)

        event = story.do("extend", by=ORG, until=date(2027, 4, 30), reason=ExtensionReason.UNABLE_TO_CARRY_OUT,
                         under_25=False, interruption_id=interruption)[0]

        assert (event.rule, event.interruption_id, event.maximum_on) == ("R16", interruption, date(2027, 4, 30))
        assert rule_of(lambda: story.do("extend", by=ORG, until=date(2027, 5, 30),
                                        reason=ExtensionReason.UNABLE_TO_CARRY_OUT, under_25=False,
                                        interruption_id=interruption)) == "R16"

    def test_r16_interruptions_lie_in_the_plan_and_do_not_overlap(self):
        story = issued_story()
        record = dict(by=ORG, today=date(2025, 8, 1), cause=InterruptionCause.PREGNANCY_OR_PARENTAL_ALLOWANCE)
        story.do("record_interruption", interruption_id=uuid4(), from_on=date(2025, 6, 1), to_on=date(2025, 6, 30),
                 **record)

        assert rule_of(lambda: story.do("record_interruption", interruption_id=uuid4(), from_on=date(2025, 6, 30),
                                        to_on=date(2025, 7, 5), **record)) == "R16"
        assert rule_of(lambda: story.do("record_interruption", interruption_id=uuid4(), from_on=date(2025, 3, 1),
                                        to_on=date(2025, 3, 5), **record)) == "R16"

    def test_r17_under_25s_studies(self):
        story = issued_story()
        story.do("extend", by=ORG, until=date(2027, 3, 31), reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM,
                 under_25=False)

        assert rule_of(lambda: story.do("extend", by=ORG, until=date(2027, 9, 30),
                                        reason=ExtensionReason.SELF_MOTIVATED_STUDIES, under_25=False)) == "R17"
        event = story.do("extend", by=ORG, until=date(2028, 3, 31), reason=ExtensionReason.SELF_MOTIVATED_STUDIES,
                         under_25=True)[0]
        assert event.rule == "R17"


class TestR13Reviews:
    def test_r13_a_review_moves_the_next_due_date(self):
        story = issued_story()

        event = story.do("review", by=ORG, today=date(2025, 9, 1), reviewed_on=date(2025, 8, 31),
                         occasion=ReviewOccasion.CLIENT_REQUEST)[0]

        assert (event.next_review_due_on, event.rule) == (date(2026, 2, 28), "R13")
        assert story.plan.review_due_on == date(2026, 2, 28)


class TestR18Import:
    def test_r18_imported_plan_keeps_3_plus_2_until_its_first_review(self):
        plan = Plan.imported(uuid4(), uuid4(), made_on=date(2024, 6, 1), first_starts_on=date(2024, 6, 1),
                             starts_on=date(2024, 6, 1), ends_on=date(2025, 5, 31), plan_content=CONTENT,
                             reviewed=False, last_review_on=None, facts=FACTS)
        story = Story()
        story.id, story.client_id, story.history = plan.id, plan.client_id, list(plan.pending)

        story.do("extend", by=ORG, until=date(2027, 5, 31), reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM,
                 under_25=False)
        review = story.do("review", by=ORG, today=date(2025, 9, 1), reviewed_on=date(2025, 9, 1),
                          occasion=ReviewOccasion.SCHEDULED)[0]

        assert (plan.pending[0].maximum_on, plan.pending[0].maximum_rule) == (date(2027, 5, 31), "R18")
        assert (review.maximum_on, review.maximum_rule) == (date(2027, 5, 31), "R18")
        assert rule_of(lambda: story.do("extend", by=ORG, until=date(2027, 6, 1),
                                        reason=ExtensionReason.CONTINUED_WITHIN_MAXIMUM, under_25=False)) == "R18"

    def test_r18_refuses_to_import_a_plan_made_in_2025(self):
        assert rule_of(lambda: Plan.imported(uuid4(), uuid4(), made_on=date(2025, 1, 1),
                                             first_starts_on=date(2025, 1, 1), starts_on=date(2025, 1, 1),
                                             ends_on=date(2025, 12, 31), plan_content=CONTENT, reviewed=False,
                                             last_review_on=None, facts=FACTS)) == "R18"


class TestOwnershipAndHandover:
    def test_only_the_responsible_organisation_changes_the_plan(self):
        story = issued_story()

        assert rule_of(lambda: story.do("end", by=Organisation.HANGO, today=date(2025, 5, 1),
                                        ended_on=date(2025, 5, 1), reason=PlanEndReason.EMPLOYMENT)) == "ownership.plan"

    def test_handover_passes_the_plan_and_the_old_owner_loses_write_access(self):
        story = issued_story()

        event = story.do("hand_over", to=Organisation.EMPLOYMENT_REGION, effective_on=date(2025, 6, 1))[0]

        assert (event.previous_organisation, event.responsible_organisation) == (ORG, Organisation.EMPLOYMENT_REGION)
        assert story.plan.status == "in_force"
        assert rule_of(lambda: story.do("review", by=ORG, today=date(2025, 7, 1), reviewed_on=date(2025, 7, 1),
                                        occasion=ReviewOccasion.SCHEDULED)) == "ownership.plan"
        story.do("review", by=Organisation.EMPLOYMENT_REGION, today=date(2025, 7, 1), reviewed_on=date(2025, 7, 1),
                 occasion=ReviewOccasion.SITUATION_CHANGED)

    def test_handover_to_the_same_owner_records_nothing(self):
        assert issued_story().do("hand_over", to=ORG, effective_on=date(2025, 6, 1)) == []


class TestDeadlines:
    def test_r12_one_deadline_missed_per_service_not_referred_and_only_once(self):
        story = issued_story()

        assert story.do("check_deadlines", today=date(2025, 4, 30), referred=set()) == []
        missed = story.do("check_deadlines", today=date(2025, 5, 1), referred={"civic_orientation.ar"})
        again = story.do("check_deadlines", today=date(2025, 5, 2), referred=set())

        assert [(e.deadline, e.service_code, e.rule) for e in missed] == [
            (PlanDeadline.REFERRAL, "integration_training.sv", "R12")]
        assert [e.service_code for e in again] == ["civic_orientation.ar"]

    def test_r13_review_missed_once_per_due_date(self):
        story = issued_story()
        referred = set(CONTENT.services)

        missed = story.do("check_deadlines", today=date(2025, 10, 2), referred=referred)

        assert [(e.deadline, e.due_on, e.rule) for e in missed] == [(PlanDeadline.REVIEW, date(2025, 10, 1), "R13")]
        assert story.do("check_deadlines", today=date(2025, 10, 3), referred=referred) == []

    def test_r10_and_r11_drawing_up_deadlines(self):
        story = Story()

        assert story.do("check_deadlines", today=date(2025, 4, 3), referred=set()) == []
        assert [e.rule for e in story.do("check_deadlines", today=date(2025, 4, 4), referred=set())] == ["R10"]
        assert [e.rule for e in story.do("check_deadlines", today=date(2027, 1, 16), referred=set())] == ["R11"]


class TestEnd:
    def test_plan_ends_with_a_reason_once(self):
        story = issued_story()

        event = story.do("end", by=ORG, today=date(2025, 9, 1), ended_on=date(2025, 9, 1),
                         reason=PlanEndReason.EMPLOYMENT)[0]

        assert event.reason is PlanEndReason.EMPLOYMENT and story.plan.status == "ended"
        assert rule_of(lambda: story.do("end", by=ORG, today=date(2025, 9, 2), ended_on=date(2025, 9, 2),
                                        reason=PlanEndReason.REFUSED)) == "state.plan"


    def test_fuzz_a_plan_cannot_end_before_the_day_it_was_opened(self):
        """Found by the HTTP fuzzing (tests/e2e/fuzz): `ended_on` 0001-01-01 was accepted."""
        story = issued_story()
        opened_on = story.plan.opened_on

        assert rule_of(lambda: story.do("end", by=ORG, today=date(2025, 9, 1), ended_on=opened_on - timedelta(days=1),
                                        reason=PlanEndReason.EMPLOYMENT)) == "field.ended_on"
        assert rule_of(lambda: story.do("end", by=ORG, today=date(2025, 9, 1), ended_on=date(1, 1, 1),
                                        reason=PlanEndReason.EMPLOYMENT)) == "field.ended_on"
        assert story.do("end", by=ORG, today=date(2025, 9, 1), ended_on=opened_on,
                        reason=PlanEndReason.EMPLOYMENT)[0].ended_on == opened_on


class TestLaterPlans:
    def test_r14_a_later_plan_counts_from_the_first_plans_start_and_keeps_what_was_granted(self):
        story = Story()
        earlier = limits.Allowance(date(2024, 5, 1), r17=True)
        plan = Plan.from_history(story.id, story.client_id, story.history, earlier=earlier)

        plan.issue(by=ORG, today=ISSUED_ON, starts_on=date(2025, 4, 1), ends_on=date(2027, 4, 30),
                   plan_content=CONTENT, agreement=AGREEMENT, facts=FACTS, under_25=False, quota_refugee=False,
                   policy=Policy())
        issued = plan.pending[-1]
        again = Plan.from_history(story.id, story.client_id, story.history + plan.pending, earlier=earlier)

        assert (issued.first_starts_on, issued.maximum_on, issued.maximum_rule) == (date(2024, 5, 1),
                                                                                    date(2027, 4, 30), "R17")
        assert again.allowance == earlier
        late = Plan.from_history(story.id, story.client_id, story.history, earlier=earlier)
        assert rule_of(lambda: late.issue(by=ORG, today=ISSUED_ON, starts_on=date(2025, 4, 1),
                                          ends_on=date(2027, 5, 1), plan_content=CONTENT, agreement=AGREEMENT,
                                          facts=FACTS, under_25=False, quota_refugee=False, policy=Policy())) == "R17"


class TestDatesOfTheClientsPart:
    def test_r23_agreement_before_the_assessment_is_refused(self):
        assert rule_of(lambda: Story().issue(agreement=replace(AGREEMENT, agreed_on=date(2025, 3, 19)))) == "R23"
        Story().issue(agreement=replace(AGREEMENT, agreed_on=date(2025, 3, 20)))

    def test_plan_starts_within_31_days_of_drawing_up(self):
        assert rule_of(lambda: Story().issue(starts_on=date(2025, 5, 2), ends_on=date(2025, 12, 31))) == \
            "field.starts_on"
        Story().issue(starts_on=date(2025, 5, 1), ends_on=date(2025, 12, 31))

    def test_r13_a_review_cannot_precede_the_last_one(self):
        story = issued_story()
        review = dict(by=ORG, today=date(2025, 9, 1), occasion=ReviewOccasion.SCHEDULED)
        story.do("review", reviewed_on=date(2025, 8, 1), **review)

        assert rule_of(lambda: story.do("review", reviewed_on=date(2025, 7, 31), **review)) == "R13"
        story.do("review", reviewed_on=date(2025, 8, 1), **review)
