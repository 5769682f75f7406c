"""`Plan.when`, the fold a rebuild of planning's query tables runs (`service_layer.projection`): it knows every
event planning publishes and refuses any other."""

from __future__ import annotations

import inspect
from datetime import date
from uuid import uuid4

import pytest

from contracts.events.intake import ClientErased
from contracts.events.planning import EVENTS
from planning.domain.plan import PLAN_EVENT_TYPES, Plan

pytestmark = pytest.mark.unit


def test_every_event_planning_publishes_has_its_branch_in_the_fold():
    source = inspect.getsource(Plan._apply)
    assert PLAN_EVENT_TYPES == {e.TYPE for e in EVENTS}
    assert [e.__name__ for e in EVENTS if f"case {e.__name__}():" not in source] == []


def test_an_event_that_is_not_a_plans_is_refused_and_changes_nothing():
    plan = Plan(uuid4(), uuid4())
    with pytest.raises(ValueError, match="ClientErased"):
        plan.when(ClientErased(erased_on=date(2026, 1, 5), basis="client_request"))
    assert plan.version == 0
