"""Every assessment route x organisation x role x relation to the client, with the status each must get, over
HTTP against the running service (issue 14), after intake's route table.

Who may do what (architecture.md's ownership table, law.md R5/R6, the README's assessment section): only
officers of the organisation responsible for the client today act on its case; after a handover
(`ResponsibilityAssigned`, R5) the case moves, the new holder acts and the old one gets 403
`ownership.case`; LUVN sees the cases it takes part in, adds notes to them and alone confirms its
participation (R6), and acts on no other case; systems and operators read (operators every case, systems
their organisation's), and change nothing; another service, a provider and an unknown caller nothing.

Each cell that acts on a client runs on a case of its own, opened before the module's first cell by
publishing intake's registration (and, for `prev`/`new`, `ResponsibilityAssigned`) on intake's topic with
intake's credential. Relations as in `tests/support/route_tables.py`. In an allowed cell a `409 process.status`
(a step out of order on a fresh, open case: only the booking comes first) shows the caller passed the
ownership check; LUVN confirming where it takes no part is refused by R6 itself (422 `R6`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from assessment.bootstrap import build
from backbone.clock import today_in_finland
from services.assessment.tests.integration.conftest import assessment_settings, eventually
from tests.support.processes import free_port
from tests.support.route_tables import (
    COMMON_MOUNTS,
    COMMON_ROUTES,
    assert_every_route_listed,
    cases,
    check_every_shared_route,
    client_cells,
    publish_clients,
    refusal_names_its_reason,
    run_table,
    token_issuer,
)
from tests.support.serving import serving
from tests.support.system import skip_backlog

pytestmark = pytest.mark.integration

ROUTES = {
    "list": "GET /cases", "case": "GET /cases/{assessment_id}", "of-client": "GET /clients/{client_id}/case",
    "events": "GET /cases/{assessment_id}/events", "book": "POST /cases/{assessment_id}/interview",
    "held": "POST /cases/{assessment_id}/interview/held", "inform": "POST /cases/{assessment_id}/information",
    "missed": "POST /cases/{assessment_id}/missed-appointments",
    "luvn": "POST /cases/{assessment_id}/luvn-confirmation", "competence": "PUT /cases/{assessment_id}/competence",
    "complete": "POST /cases/{assessment_id}/completion", "reopen": "POST /cases/{assessment_id}/reopening",
    "note": "POST /cases/{assessment_id}/notes", "notes": "GET /cases/{assessment_id}/notes",
}

TABLE = """
caller                     relation list case of-client events book held inform missed luvn competence complete reopen note notes
employment-region/officer  own      200  200  200       200    200  409  409    409    403  409        409      409    201  200
employment-region/officer  other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
employment-region/officer  prev     200  403  403       403    403  403  403    403    403  403        403      403    403  403
employment-region/system   own      200  200  200       200    403  403  403    403    403  403        403      403    403  403
raseborg/officer           own      200  200  200       200    200  409  409    409    403  409        409      409    201  200
raseborg/officer           other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
raseborg/officer           new      200  200  200       200    200  409  409    409    403  409        409      409    201  200
raseborg/system            other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
inga/officer               own      200  200  200       200    200  409  409    409    403  409        409      409    201  200
inga/officer               other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
hango/officer              other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
luvn/officer               luvn     200  200  200       200    403  403  403    403    200  403        403      403    201  200
luvn/officer               other    200  403  403       403    403  403  403    403    422  403        403      403    403  403
luvn/system                luvn     200  200  200       200    403  403  403    403    403  403        403      403    403  403
kela/officer               other    200  403  403       403    403  403  403    403    403  403        403      403    403  403
operator/operator          other    200  200  200       200    403  403  403    403    403  403        403      403    403  403
notifications/service      other    403  403  403       403    403  403  403    403    403  403        403      403    403  403
planning/service           other    403  403  403       403    403  403  403    403    403  403        403      403    403  403
provider:mbi-raseborg/provider other 403 403 403      403    403  403  403    403    403  403        403      403    403  403
anonymous                  other    401  401  401       401    401  401  401    401    401  401        401      401    401  401
"""

CLIENT_ROUTES = set(ROUTES) - {"list"}
TODAY = today_in_finland().isoformat()
ALL_TOPICS = ["goals", "plan_process", "plan_binding", "rights_and_duties", "data_handling"]
BODIES = {
    "book": {"scheduled_at": (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat(),
             "place": "karis", "language": "fi", "interpreter": {"language": "ar", "mode": "on_site"},
             "cancellation_instructions_given": True},
    "held": {"held_on": TODAY, "information_given": ALL_TOPICS},
    "inform": {"on": TODAY, "topics": ["goals"]},
    "missed": {"missed_on": TODAY, "kind": "no_show", "justified": False, "age": 30},
    "luvn": {"confirmed_on": TODAY},
    "competence": {"education_level": "upper_secondary", "work_experience_fields": ["retail"],
                   "language_skills": [{"language": "sv", "level": "a2"}], "native_language_literacy": "good",
                   "work_ability": "full", "service_needs": ["integration_training"]},
    "complete": {"completed_on": TODAY},
    "reopen": {"reopened_on": TODAY, "reason": "correction"},
    "note": {"text": "Route table note."},
}


def test_the_table_lists_every_route_assessment_serves(infra):
    assert_every_route_listed(build(assessment_settings(infra, free_port())), ROUTES, COMMON_ROUTES, COMMON_MOUNTS)


@pytest.fixture(scope="module")
async def assessment(infra, assessment_db, publish):
    """Assessment for the module, and a fresh case for every cell that acts on a client, all opened up front:
    (url, {(caller, relation, route): (client_id, assessment_id)})."""
    await skip_backlog(infra, "assessment")
    settings = assessment_settings(infra, free_port())
    async with serving(build(settings), settings.http_port, "assessment") as url:
        owner_of = await publish_clients(publish, client_cells(TABLE, ROUTES, CLIENT_ROUTES))
        clients = [c for c, _ in owner_of.values()]

        async def all_open() -> bool:
            found = await assessment_db.fetch(
                "SELECT client_id, responsible_organisation FROM cases WHERE client_id = ANY($1)", clients)
            return {r["client_id"]: r["responsible_organisation"] for r in found} == dict(owner_of.values())

        await eventually(all_open, timeout=300)
        ids = {r["client_id"]: r["assessment_id"] for r in await assessment_db.fetch(
            "SELECT client_id, assessment_id FROM cases WHERE client_id = ANY($1)", clients)}
        yield url, {cell: (client_id, ids[client_id]) for cell, (client_id, _) in owner_of.items()}


@pytest.fixture(scope="module")
def headers_of(assessment_db):
    return token_issuer(assessment_db, "assessment route table")


async def check_cell(assessment, headers_of, caller, relation, route, expected):
    url, scenarios = assessment
    headers = await headers_of(caller)
    client_id, assessment_id = scenarios.get((caller, relation, route), (uuid.uuid4(), uuid.uuid4()))
    method, path = ROUTES[route].split(" ", 1)

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.request(method, path.format(assessment_id=assessment_id, client_id=client_id),
                                      headers=headers, json=BODIES.get(route))
        listed = await http.get("/cases", params={"limit": 500}, headers=headers) if route == "list" else None

    assert response.status_code == expected, response.text
    assert refusal_names_its_reason(response.status_code, response.text), response.text
    if expected == 403 and caller.rsplit("/", 1)[1] == "officer":
        assert "ownership." in response.text, response.text  # an officer is refused by the ownership rule
    if listed is not None and expected == 200:
        organisation = caller.split("/")[0]
        if not caller.startswith("operator/") and organisation != "luvn":
            assert {c["responsible_organisation"] for c in listed.json()} <= {organisation}


async def test_every_cell_of_the_table(assessment, headers_of):
    await run_table(cases(TABLE, ROUTES), lambda *cell: check_cell(assessment, headers_of, *cell))


async def test_every_cell_of_the_shared_routes_table(assessment, headers_of):
    await check_every_shared_route(assessment[0], headers_of)
