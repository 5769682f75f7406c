"""Every planning route x organisation x role x relation to the client, with the status each must get, over
HTTP against the running service (issue 14), after intake's route table.

Who may do what (architecture.md's ownership table, law.md R5/R6, the README's planning section): only
the plan's owner (the client's responsible organisation, as intake last said) changes a plan, and after a
handover (`ResponsibilityAssigned`, R5) the new owner does and the old one gets 403 `ownership.plan`; LUVN
reads the plans it takes part in (R6) and changes none; operators read every plan and change none; an
organisation's own system acts as its officers do on its own plans (planning's `Officer` admits the `system`
role: a case-management system records the plans drawn up in it); another service, a provider and an unknown
caller nothing. `409 state.plan` in an allowed cell is the process (a plan to be drawn up cannot be extended,
reviewed or interrupted; a client with a plan imports none): the caller got past the ownership check.

Each cell runs on a plan of its own (opened for it before the module's first cell by publishing intake's
registration, assessment's completion and, for `prev`/`new`, intake's `ResponsibilityAssigned` on the bus
with those services' own credentials), so an allowed command in one cell cannot change another's outcome.
The module's planning starts with its consumer groups at the end of their topics: the events the rest of
the test run wrote there are not its concern, and applying them first once made the set-up outlast the
test timeout.
Relations: `own` the caller's organisation owns the plan; `other` another organisation does (Raseborg's,
for Raseborg the employment region's); `luvn` Raseborg's plan in which LUVN takes part; `prev` the caller's
organisation owned it before a handover to another; `new` it received the plan in a handover.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from planning.bootstrap import build
from services.planning.tests.conftest import eventually, planning_settings, serving
from services.planning.tests.events import TODAY, completed, issue_body
from tests.support.processes import free_port
from tests.support.route_tables import (
    COMMON_MOUNTS,
    COMMON_ROUTES,
    assert_every_route_listed,
    cases,
    check_every_shared_route,
    client_cells,
    holders,
    publish_clients,
    refusal_names_its_reason,
    run_table,
    token_issuer,
)
from tests.support.system import skip_backlog

pytestmark = pytest.mark.integration

ROUTES = {
    "list": "GET /plans", "plan": "GET /plans/{plan_id}", "of-client": "GET /clients/{client_id}/plans",
    "issue": "POST /plans/{plan_id}/issue", "refuse": "POST /plans/{plan_id}/refusals",
    "extend": "POST /plans/{plan_id}/extensions", "review": "POST /plans/{plan_id}/reviews",
    "interrupt": "POST /plans/{plan_id}/interruptions", "end": "POST /plans/{plan_id}/end",
    "import": "POST /plans/imports",
}

# `of-client` answers 200 with only the plans the caller may see: its cell checks the list too (see below).
TABLE = """
caller                     relation list plan of-client issue refuse extend review interrupt end import
employment-region/officer  own      200  200  200       201   201    409    409    409       201 409
employment-region/officer  other    200  403  200       403   403    403    403    403       403 403
employment-region/officer  prev     200  403  200       403   403    403    403    403       403 403
employment-region/system   own      200  200  200       201   201    409    409    409       201 409
raseborg/officer           own      200  200  200       201   201    409    409    409       201 409
raseborg/officer           other    200  403  200       403   403    403    403    403       403 403
raseborg/officer           new      200  200  200       201   201    409    409    409       201 409
raseborg/system            other    200  403  200       403   403    403    403    403       403 403
inga/officer               own      200  200  200       201   201    409    409    409       201 409
inga/officer               other    200  403  200       403   403    403    403    403       403 403
hango/officer              other    200  403  200       403   403    403    403    403       403 403
luvn/officer               luvn     200  200  200       403   403    403    403    403       403 403
luvn/officer               other    200  403  200       403   403    403    403    403       403 403
luvn/system                luvn     200  200  200       403   403    403    403    403       403 403
kela/officer               other    200  403  200       403   403    403    403    403       403 403
operator/operator          other    200  200  200       403   403    403    403    403       403 403
notifications/service      other    403  403  403       403   403    403    403    403       403 403
guidance/service           other    403  403  403       403   403    403    403    403       403 403
provider:mbi-raseborg/provider other 403 403  403       403   403    403    403    403       403 403
anonymous                  other    401  401  401       401   401    401    401    401       401 401
"""

ORGANISATIONS = ("employment-region", "raseborg", "inga")
"""Organisations that hold clients here (Raseborg serves Hanko's residents under the agreement)."""

CLIENT_ROUTES = {"plan", "of-client", "issue", "refuse", "extend", "review", "interrupt", "end", "import"}


def test_the_table_lists_every_route_planning_serves(infra):
    assert_every_route_listed(build(planning_settings(infra, free_port())), ROUTES, COMMON_ROUTES, COMMON_MOUNTS)


@pytest.fixture(scope="module")
async def planning(infra, planning_db, publish):
    """Planning for the module, and a fresh plan for every cell that acts on a client, all opened up front:
    (url, {(caller, relation, route): (client_id, plan_id)})."""
    await skip_backlog(infra, "planning")
    async with serving(planning_settings(infra, free_port(), deadline_check_interval_s=3600)) as url:
        scenarios = await publish_clients(publish, client_cells(TABLE, ROUTES, CLIENT_ROUTES), also=lambda cell, story: [
            completed(story[0].client_id, story[0], luvn=holders(cell[0], cell[1])[2])])

        async def all_open() -> bool:
            found = await planning_db.fetch("SELECT client_id, plan_id, owner FROM plans WHERE client_id = ANY($1)",
                                            [c for c, _ in scenarios.values()])
            return {r["client_id"]: r["owner"] for r in found} == dict(scenarios.values())

        await eventually(all_open, timeout=120)
        plans = {r["client_id"]: r["plan_id"] for r in await planning_db.fetch(
            "SELECT client_id, plan_id FROM plans WHERE client_id = ANY($1)", [c for c, _ in scenarios.values()])}
        yield url, {cell: (client_id, plans[client_id]) for cell, (client_id, _) in scenarios.items()}


@pytest.fixture(scope="module")
def headers_of(planning_db):
    return token_issuer(planning_db, "planning route table")


BODIES = {
    "issue": issue_body(),
    "refuse": {"refused_on": str(TODAY), "good_reason": True},
    "extend": {"until": str(TODAY + timedelta(days=300)), "reason": "continued_within_maximum"},
    "review": {"reviewed_on": str(TODAY), "occasion": "client_request"},
    "interrupt": {"interruption_id": str(uuid.uuid4()), "cause": "illness", "from_on": str(TODAY - timedelta(days=20)),
                  "to_on": str(TODAY - timedelta(days=5))},
    "end": {"ended_on": str(TODAY), "reason": "employment"},
}


async def check_cell(planning, headers_of, caller, relation, route, expected):
    url, scenarios = planning
    headers = await headers_of(caller)
    client_id, plan_id = scenarios.get((caller, relation, route), (uuid.uuid4(), uuid.uuid4()))
    method, path = ROUTES[route].split(" ", 1)
    path = path.format(plan_id=plan_id, client_id=client_id)
    body = BODIES.get(route)
    if route == "import":
        body = {**{k: v for k, v in issue_body().items() if k not in ("agreement", "note")},
                "client_id": str(client_id), "made_on": "2024-06-01", "first_starts_on": "2024-06-01",
                "starts_on": "2024-06-01", "ends_on": str(TODAY + timedelta(days=30)), "reviewed": False}

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.request(method, path, headers=headers, json=body)
        listed = (await http.get("/plans", params={"view": "to_draw_up", "limit": 500}, headers=headers)
                  if route == "list" and expected == 200 else None)

    assert response.status_code == expected, response.text
    assert refusal_names_its_reason(response.status_code, response.text), response.text
    if expected == 403 and caller.rsplit("/", 1)[1] in ("officer", "system"):
        assert "ownership." in response.text, response.text  # an organisation is refused by the ownership rule
    if route == "of-client" and expected == 200:
        # The list holds the plan exactly when the caller may read it (the `plan` cell of the same row).
        may_read = caller.startswith("operator/") or relation in ("own", "new", "luvn")
        assert [p["plan_id"] for p in response.json()] == ([str(plan_id)] if may_read else [])
    if listed is not None:
        owners_seen = {p["owner"] for p in listed.json()}
        organisation = caller.split("/")[0]
        if not caller.startswith("operator/") and organisation != "luvn":
            assert owners_seen <= {organisation}, owners_seen


async def test_every_cell_of_the_table(planning, headers_of):
    await run_table(cases(TABLE, ROUTES), lambda *cell: check_cell(planning, headers_of, *cell))


async def test_every_cell_of_the_shared_routes_table(planning, headers_of):
    await check_every_shared_route(planning[0], headers_of)
