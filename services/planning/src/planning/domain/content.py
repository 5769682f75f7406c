"""What a plan must contain (R19) and how the client takes part (R23, R25), as pure checks."""

from __future__ import annotations

from collections.abc import Collection

from contracts.events.planning import PlanGoal
from planning.domain.errors import Refused

JOBSEEKER_GOALS = frozenset({PlanGoal.EMPLOYMENT, PlanGoal.ENTREPRENEURSHIP})
OTHERS_GOALS = frozenset({PlanGoal.WORKING_LIFE_READINESS, PlanGoal.EMPLOYMENT})
UPPER_SECONDARY_NOT_SUITABLE = "upper_secondary_not_suitable"
"""The reason code that records why an under-25's plan departs from the rule of upper-secondary education."""


def check_content(*, goals: Collection[PlanGoal], services: Collection[str], follow_up: Collection[str],
                  reasons: Collection[str], jobseeker: bool, under_25: bool, job_search_obligation: bool) -> None:
    """R19: goals by group (jobseekers: employment or entrepreneurship; others: working-life readiness or
    employment; under 25: as a rule upper-secondary education, else a reason code says why not), the
    services, for jobseekers the job-search obligation, follow-up, and why the services fit the goals."""
    if not goals:
        raise Refused("R19", "a plan records its goals")
    if jobseeker and not JOBSEEKER_GOALS & set(goals):
        raise Refused("R19", "a jobseeker's plan has employment or entrepreneurship as a goal")
    if not jobseeker and not OTHERS_GOALS & set(goals):
        raise Refused("R19", "the plan has working-life readiness or employment as a goal")
    if under_25 and PlanGoal.UPPER_SECONDARY_EDUCATION not in goals and UPPER_SECONDARY_NOT_SUITABLE not in reasons:
        raise Refused("R19", "an under-25's plan aims as a rule at upper-secondary education; otherwise the "
                             f"reasons include {UPPER_SECONDARY_NOT_SUITABLE}")
    if jobseeker and not job_search_obligation:
        raise Refused("R19", "a jobseeker's plan records the job-search obligation")
    if not services:
        raise Refused("R19", "a plan records the services agreed")
    if not follow_up:
        raise Refused("R19", "a plan records how it is followed up")
    if not reasons:
        raise Refused("R19", "a plan records why the services fit the goals")
    if len(set(services)) != len(services):
        raise Refused("field.services", "each service is agreed once")


def check_agreement(*, language: str, interpreter: bool, client_languages: Collection[str]) -> None:
    """R23 (with R27): the plan is agreed with the client in a language they understand, or through an
    interpreter."""
    if not interpreter and language not in client_languages:
        raise Refused("R23", "the plan is agreed in a language the client understands, or with an interpreter")


def social_assistance_cut_possible(good_reason: bool) -> bool:
    """R25: refusing the plan without good reason may cut the social assistance basic amount by up to 20 %
    (the social services decide; planning only flags it)."""
    return not good_reason
