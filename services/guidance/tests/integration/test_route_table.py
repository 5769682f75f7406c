"""Every guidance route x organisation x role (providers included) x relation to the client, with the status
each must get, over HTTP against the running service (issue 14), after intake's route table.

Who may do what (architecture.md: Raseborg gives guidance for everyone; law.md R1, R5, R22; the README's
guidance section):
- the catalogue is read by every authenticated caller and kept by officers of the organisations giving the
  services (employment region, Raseborg, Hanko, Inkoo), never by LUVN, Kela, operators or providers;
- guidance visits are recorded by the guiding organisations (officers and their systems) for anyone (R1);
  a client's visits are read by officers of its responsible organisation (all) or of a guiding one (those
  it recorded itself);
- a referral is made by an officer of the client's responsible organisation, read and cancelled by that
  organisation (today's: after a handover, R5, the previous one gets 404 like any other, the new one acts),
  and answered (accepted, started, completed, rejected) only by the provider it was made to (`provider:<code>`),
  which sees nothing else (404);
- the employment region alone agrees to voluntary studies, and only for its own client (a registered
  jobseeker): `ownership.employment_region`, `ownership.client`.

Relations: officers as in `tests/support/route_tables.py`; for providers `own` is a referral made to it,
`other` one made to another provider. Each cell acting on a client has a client (and, for the referral
routes, a referral by the first holder to civic orientation at `provider:mbi-raseborg`) of its own.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

import guidance as guidance_package
from backbone.clock import today_in_finland
from guidance.bootstrap import build
from guidance.entrypoints.http.catalogue import ServiceIn
from services.guidance.tests.integration.conftest import caught_up, eventually, guidance_settings, serving
from tests.support.processes import free_port
from tests.support.route_tables import (
    COMMON_MOUNTS,
    COMMON_ROUTES,
    assert_every_route_listed,
    cases,
    check_every_shared_route,
    client_cells,
    holders,
    intake_story,
    refusal_names_its_reason,
    run_table,
    token_issuer,
)

pytestmark = pytest.mark.integration

ROUTES = {
    "services": "GET /catalogue/services", "service": "GET /catalogue/services/{code}",
    "put-service": "PUT /catalogue/services/{code}", "withdraw": "DELETE /catalogue/services/{code}",
    "starts": "GET /catalogue/services/{code}/starts", "hours": "GET /catalogue/opening-hours",
    "set-hours": "PUT /catalogue/opening-hours/{place}/{kind}", "visit": "POST /visits",
    "visits": "GET /clients/{client_id}/visits", "counts": "GET /visits/counts", "refer": "POST /referrals",
    "referrals": "GET /referrals", "referral": "GET /referrals/{referral_id}",
    "accept": "POST /referrals/{referral_id}/acceptance", "start": "POST /referrals/{referral_id}/start",
    "complete": "POST /referrals/{referral_id}/completion", "reject": "POST /referrals/{referral_id}/rejection",
    "cancel": "POST /referrals/{referral_id}/cancellation", "agree": "POST /clients/{client_id}/study-agreements",
}
MOUNTS = {"MOUNT /guide"}  # the public guide (guide/), its own tests

TABLE = """
caller                     relation services service put-service withdraw starts hours set-hours visit visits counts refer referrals referral accept start complete reject cancel agree
employment-region/officer  own      200      200     409         404      200    200   200       201   200    200    201   200       200      403    403   403      403    200    201
employment-region/officer  other    200      200     409         404      200    200   200       201   200    200    403   200       404      403    403   403      403    404    403
employment-region/officer  prev     200      200     409         404      200    200   200       201   200    200    403   200       404      403    403   403      403    404    403
employment-region/system   own      200      200     403         403      200    200   403       201   403    200    403   200       200      403    403   403      403    200    403
raseborg/officer           own      200      200     409         404      200    200   200       201   200    200    201   200       200      403    403   403      403    200    403
raseborg/officer           other    200      200     409         404      200    200   200       201   200    200    403   200       404      403    403   403      403    404    403
raseborg/officer           new      200      200     409         404      200    200   200       201   200    200    201   200       200      403    403   403      403    200    403
raseborg/system            other    200      200     403         403      200    200   403       201   403    200    403   200       404      403    403   403      403    404    403
inga/officer               own      200      200     409         404      200    200   200       201   200    200    201   200       200      403    403   403      403    200    403
hango/officer              other    200      200     409         404      200    200   200       201   200    200    403   200       404      403    403   403      403    404    403
luvn/officer               other    200      200     403         403      200    200   403       403   403    200    403   200       404      403    403   403      403    404    403
kela/officer               other    200      200     403         403      200    200   403       403   403    200    403   200       404      403    403   403      403    404    403
operator/operator          other    200      200     403         403      200    200   403       403   403    200    403   403       403      403    403   403      403    403    403
provider:mbi-raseborg/provider own  200      200     403         403      200    200   403       403   403    200    403   200       200      200    409   409      200    200    403
provider:mbi-hango/provider other   200      200     403         403      200    200   403       403   403    200    403   200       404      404    404   404      404    404    403
planning/service           other    403      403     403         403      403    403   403       403   403    403    403   403       403      403    403   403      403    403    403
anonymous                  other    401      401     401         401      401    401   401       401   401    401    401   401       401      401    401   401      401    401    401
"""

CLIENT_ROUTES = {"visit", "visits", "refer", "referrals", "referral", "accept", "start", "complete", "reject", "cancel",
                 "agree"}
REFERRAL_ROUTES = {"referrals", "referral", "accept", "start", "complete", "reject", "cancel"}
TODAY = today_in_finland()
SERVICE = "civic_orientation"
CATALOGUE = json.loads((Path(guidance_package.__file__).parent / "data" / "catalogue.json").read_text())


def test_the_table_lists_every_route_guidance_serves(infra):
    assert_every_route_listed(build(guidance_settings(infra, free_port())), ROUTES, MOUNTS, COMMON_ROUTES,
                              COMMON_MOUNTS)


def story_caller(caller: str, relation: str) -> tuple[str, str]:
    """Providers act on Raseborg's client (its referral goes to mbi-raseborg); officers as their row says."""
    return ("raseborg/officer", "own") if caller.endswith("/provider") else (caller, relation)


@pytest.fixture(scope="module")
async def guidance(infra, publish):
    """Guidance for the module and, for every cell acting on a client, a client of its own (with a referral by
    its first holder for the referral routes): {(caller, relation, route): (client_id, referral_id)}."""
    wanted = client_cells(TABLE, ROUTES, CLIENT_ROUTES)
    async with serving(guidance_settings(infra, free_port())) as (url, app):
        pool = app.state.deps.pool()
        await caught_up(infra, pool)
        headers_of = token_issuer(pool, "guidance route table")
        stories = {cell: intake_story(uuid.uuid4(), *story_caller(cell[0], cell[1])) for cell in wanted}
        await publish(*(story[0] for story in stories.values()))
        clients = [story[0].client_id for story in stories.values()]
        await eventually(lambda: pool.fetchval("SELECT count(*) = $2 FROM client_view WHERE client_id = ANY($1)",
                                               clients, len(clients)), timeout=300)
        referrals: dict[tuple[str, str, str], uuid.UUID | None] = {}
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for cell, story in stories.items():
                referrals[cell] = None
                if cell[2] in REFERRAL_ROUTES:
                    first = story[0].payload["responsible_organisation"]
                    made = await http.post("/referrals", headers=await headers_of(f"{first}/officer"), json={
                        "client_id": str(story[0].client_id), "service_code": SERVICE, "language": "ar"})
                    assert made.status_code == 201, made.text
                    referrals[cell] = uuid.UUID(made.json()["subject_id"])
        await publish(*(event for story in stories.values() for event in story[1:]))
        expected = {story[0].client_id: holders(*story_caller(cell[0], cell[1]))[0] for cell, story in stories.items()}

        async def handed_over() -> bool:
            found = await pool.fetch("SELECT client_id, responsible_organisation FROM client_view "
                                     "WHERE client_id = ANY($1)", clients)
            return {r["client_id"]: r["responsible_organisation"] for r in found} == expected

        await eventually(handed_over, timeout=300)
        yield url, headers_of, {cell: (stories[cell][0].client_id, referrals[cell]) for cell in wanted}


async def request(http: httpx.AsyncClient, route: str, headers: dict, client_id: uuid.UUID,
                  referral_id: uuid.UUID | None) -> httpx.Response:
    method, path = ROUTES[route].split(" ", 1)
    path = path.format(code=SERVICE, client_id=client_id, referral_id=referral_id or uuid.uuid4(),
                       place="karis", kind="drop_in")
    body, params = None, None
    match route:
        case "put-service":
            # The service as the catalogue file has it, at a version it is not at: a keeper gets past the
            # ownership check to 409 `catalogue.version`, and nothing changes.
            spec = next(s for s in CATALOGUE["services"] if s["service_code"] == SERVICE)
            body = {name: spec[name] for name in ServiceIn.model_fields if name in spec}
            params = {"expected_version": 0}
        case "withdraw":
            path = "/catalogue/services/route-table-no-such-service"
        case "set-hours":
            body = {"slots": next(h["slots"] for h in CATALOGUE["opening_hours"]
                                  if (h["place"], h["kind"]) == ("karis", "drop_in"))}
        case "visit":
            body = {"client_id": str(client_id), "visited_on": str(TODAY), "mode": "phone", "topics": ["courses"],
                    "language": "ar", "interpreter": "none"}
        case "counts":
            params = {"since": str(TODAY - timedelta(days=7)), "until": str(TODAY)}
        case "refer":
            body = {"client_id": str(client_id), "service_code": SERVICE, "language": "ar"}
        case "referrals":
            params = {"client_id": str(client_id)}
        case "accept":
            body = {"starts_on": str(TODAY)}
        case "start":
            body = {}
        case "complete":
            body = {"outcome": "completed"}
        case "reject" | "cancel":
            body = {"reason": "other"}
        case "agree":
            body = {"service_code": "voluntary.larkkulla"}
    return await http.request(method, path, headers=headers, json=body, params=params)


async def check_cell(guidance, caller, relation, route, expected):
    url, headers_of, scenarios = guidance
    headers = await headers_of(caller)
    client_id, referral_id = scenarios.get((caller, relation, route), (uuid.uuid4(), None))

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await request(http, route, headers, client_id, referral_id)

    assert response.status_code == expected, response.text
    assert refusal_names_its_reason(response.status_code, response.text), response.text
    if route == "referrals" and expected == 200:
        # The list holds the client's referral exactly when the caller may see it (its `referral` cell).
        seen = {r["referral_id"] for r in response.json()}
        visible = relation in ("own", "new")
        assert (str(referral_id) in seen) == visible, (seen, referral_id)


async def test_every_cell_of_the_table(guidance):
    await run_table(cases(TABLE, ROUTES), lambda *cell: check_cell(guidance, *cell),
                    serial=frozenset({"put-service", "set-hours"}))


async def test_every_cell_of_the_shared_routes_table(guidance):
    await check_every_shared_route(guidance[0], guidance[1])
