"""Plan stories for unit tests: a plan opened from an assessment, commands applied to its history."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from contracts.events.base import Event
from contracts.events.planning import FollowUp, PlanGoal
from contracts.vocabulary import Organisation
from planning.domain.plan import Agreement, ClientFacts, Content, Plan, Policy

COMPLETED_ON = date(2025, 3, 20)
STARTS_ON = date(2025, 4, 1)
ISSUED_ON = date(2025, 3, 31)
ORG = Organisation.RASEBORG

FACTS = ClientFacts(responsible_organisation=ORG, registered_jobseeker=False, languages=("ar", "en"),
                    window_ends_on=date(2027, 1, 15), trafficking_victim=False, international_protection=True,
                    luvn_participation=True)
CONTENT = Content(goals=(PlanGoal.LANGUAGE_SKILLS, PlanGoal.WORKING_LIFE_READINESS),
                  services=("civic_orientation.ar", "integration_training.sv"), job_search_obligation=False,
                  follow_up=(FollowUp.REVIEW_MEETINGS,), reasons=("language_first",))
AGREEMENT = Agreement(agreed_on=ISSUED_ON, language="ar", interpreter=False)


class Story:
    """One plan's history; each command runs on the plan rebuilt from it, and its events are added."""

    def __init__(self, facts: ClientFacts = FACTS, policy: Policy | None = None) -> None:
        plan = Plan.open(uuid4(), uuid4(), assessment_id=uuid4(), completed_on=COMPLETED_ON, plan_needed=True,
                         facts=facts, policy=policy or Policy())
        self.id, self.client_id, self.history = plan.id, plan.client_id, list(plan.pending)

    @property
    def plan(self) -> Plan:
        return Plan.from_history(self.id, self.client_id, self.history)

    def do(self, command: str, **kwargs: Any) -> list[Event]:
        plan = self.plan
        getattr(plan, command)(**kwargs)
        self.history += plan.pending
        return plan.pending

    def issue(self, **overrides: Any) -> list[Event]:
        kwargs = dict(by=self.plan.owner, today=ISSUED_ON, starts_on=STARTS_ON, ends_on=date(2026, 3, 31),
                      plan_content=CONTENT, agreement=AGREEMENT, facts=FACTS, under_25=False, quota_refugee=False,
                      policy=Policy())
        return self.do("issue", **{**kwargs, **overrides})


def issued_story(**overrides: Any) -> Story:
    story = Story()
    story.issue(**overrides)
    return story
