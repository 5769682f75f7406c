"""`make run`'s planning step: the demo clients' plans are issued over the API and one is extended."""

from __future__ import annotations

import pytest

from planning import demo
from services.planning.tests.conftest import eventually, registered_and_assessed

pytestmark = pytest.mark.integration


async def test_demo_issues_the_plans_to_draw_up_and_extends_one(publish, planning_db, planning_url, planning_tokens):
    plans = [(await registered_and_assessed(publish, planning_db))[3] for _ in range(2)]
    tokens = {org: await planning_tokens(org) for org in ("employment-region", "raseborg", "hango", "inga", "luvn",
                                                          "kela")}
    tokens["operator"] = await planning_tokens("operator", "operator")

    done = await eventually(lambda: _carry(planning_url, tokens))

    statuses = [await planning_db.fetchval("SELECT status FROM plans WHERE plan_id = $1", p) for p in plans]
    assert statuses == ["in_force", "in_force"]
    assert sum("issued" in line for line in done) >= 2 and any("extended" in line for line in done)
    extended = await planning_db.fetchval("SELECT count(*) FROM event_store WHERE type = 'PlanExtended' AND "
                                          "stream_id = ANY($1::uuid[])", plans)
    assert extended <= 1


async def _carry(url, tokens):
    import asyncio
    return await asyncio.to_thread(demo.carry, url, tokens, wait_s=0)
