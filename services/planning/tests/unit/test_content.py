"""A plan's content (R19) and the client's part in it (R23, R25), each check alone: what it allows at its
edge, and the rule and words of what it refuses."""

from __future__ import annotations

import pytest

from contracts.events.planning import FollowUp, PlanGoal
from planning.domain import content
from planning.domain.errors import Refused

pytestmark = pytest.mark.unit

G = PlanGoal


def check(**changes) -> None:
    plan = {"goals": (G.WORKING_LIFE_READINESS,), "services": ("integration_training.sv",),
            "follow_up": (FollowUp.REVIEW_MEETINGS,), "reasons": ("language_first",), "jobseeker": False,
            "under_25": False, "job_search_obligation": False}
    content.check_content(**{**plan, **changes})


def refusal(match: str, **changes) -> str:
    with pytest.raises(Refused, match=match) as refused:
        check(**changes)
    return refused.value.rule


class TestR19Goals:
    def test_r19_a_plan_without_goals_is_refused(self):
        assert refusal("records its goals", goals=()) == "R19"
        assert refusal("records its goals", goals=(), jobseeker=True, job_search_obligation=True) == "R19"

    @pytest.mark.parametrize("goal", [G.EMPLOYMENT, G.ENTREPRENEURSHIP])
    def test_r19_a_jobseekers_plan_aims_at_employment_or_entrepreneurship(self, goal):
        check(goals=(G.LANGUAGE_SKILLS, goal), jobseeker=True, job_search_obligation=True)

    @pytest.mark.parametrize("goal", [G.WORKING_LIFE_READINESS, G.LANGUAGE_SKILLS, G.UPPER_SECONDARY_EDUCATION])
    def test_r19_a_jobseekers_plan_without_either_is_refused(self, goal):
        assert refusal("employment or entrepreneurship", goals=(goal,), jobseeker=True,
                       job_search_obligation=True) == "R19"

    @pytest.mark.parametrize("goal", [G.WORKING_LIFE_READINESS, G.EMPLOYMENT])
    def test_r19_another_clients_plan_aims_at_working_life_readiness_or_employment(self, goal):
        check(goals=(G.LITERACY, goal))

    @pytest.mark.parametrize("goal", [G.ENTREPRENEURSHIP, G.LITERACY, G.BASIC_EDUCATION])
    def test_r19_another_clients_plan_without_either_is_refused(self, goal):
        assert refusal("working-life readiness or employment", goals=(goal,)) == "R19"

    def test_r19_goals_may_come_as_any_collection(self):
        check(goals=[G.EMPLOYMENT], jobseeker=True, job_search_obligation=True)
        check(goals=frozenset({G.WORKING_LIFE_READINESS}))


class TestR19UnderTwentyFive:
    def test_r19_an_under_25s_plan_aims_at_upper_secondary_education(self):
        check(goals=(G.WORKING_LIFE_READINESS, G.UPPER_SECONDARY_EDUCATION), under_25=True)

    def test_r19_or_its_reasons_say_why_not(self):
        check(under_25=True, reasons=("language_first", content.UPPER_SECONDARY_NOT_SUITABLE))

    def test_r19_an_under_25s_plan_with_neither_is_refused_naming_the_reason_code(self):
        assert refusal("upper_secondary_not_suitable", under_25=True) == "R19"

    def test_r19_the_rule_is_for_under_25s_only(self):
        check(under_25=False)


class TestR19TheRest:
    def test_r19_a_jobseekers_plan_records_the_job_search_obligation(self):
        assert refusal("job-search obligation", goals=(G.EMPLOYMENT,), jobseeker=True,
                       job_search_obligation=False) == "R19"
        check(goals=(G.EMPLOYMENT,), jobseeker=True, job_search_obligation=True)

    def test_r19_another_clients_plan_needs_no_job_search_obligation(self):
        check(jobseeker=False, job_search_obligation=False)

    def test_r19_services_follow_up_and_reasons_are_required(self):
        assert refusal("services agreed", services=()) == "R19"
        assert refusal("how it is followed up", follow_up=()) == "R19"
        assert refusal("why the services fit the goals", reasons=()) == "R19"

    def test_each_service_is_agreed_once(self):
        with pytest.raises(Refused, match="each service is agreed once") as refused:
            check(services=("integration_training.sv", "civic_orientation.ar", "integration_training.sv"))
        assert refused.value.rule == "field.services"
        check(services=("integration_training.sv", "civic_orientation.ar"))

    def test_many_different_services_are_each_agreed_once(self):
        # Counts above 256 are distinct int objects in CPython: the check compares the numbers, not the objects.
        check(services=tuple(f"course_{n}.sv" for n in range(300)))


class TestR23Agreement:
    def test_r23_agreed_in_a_language_the_client_understands(self):
        content.check_agreement(language="ar", interpreter=False, client_languages=("ar", "en"))

    def test_r23_or_through_an_interpreter(self):
        content.check_agreement(language="fi", interpreter=True, client_languages=("ar",))

    def test_r23_neither_is_refused(self):
        with pytest.raises(Refused, match="language the client understands") as refused:
            content.check_agreement(language="fi", interpreter=False, client_languages=("ar",))
        assert refused.value.rule == "R23"


class TestR25:
    def test_r25_a_refusal_without_good_reason_may_cut_the_social_assistance(self):
        assert content.social_assistance_cut_possible(False) is True
        assert content.social_assistance_cut_possible(True) is False
