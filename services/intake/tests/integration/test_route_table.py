"""Every intake route × organisation × role × relation to the client, with the status each must get,
over HTTP against the running service (issues 8 and 14).

Clients: Raseborg's (a Kela home-care-allowance notification for a resident of Raseborg), Inkoo's (its
newcomer notice for a resident of Inkoo) and the employment region's (a jobseeker living in Hanko).
Relations: `own` the caller's own client; `other` Raseborg's client (for Raseborg: Inkoo's); `luvn`
Raseborg's client in one of LUVN's groups (a refugee placement: LUVN takes part, R6, and reads the
summary and the event list, nothing else); `prev` the caller's client handed over to another organisation,
`new` a client handed over to the caller (R5): the employment region's jobseeker who stops being one
goes to Raseborg (`ResponsibilityAssigned`, Raseborg serves Hanko's residents under the agreement), and
Raseborg's client who moved to Inkoo goes to Inkoo when Raseborg accepts Inkoo's claim. The previous owner
is then refused as any other organisation is; the new one acts as on its own client, except that ending
the relationship and erasure wait 30 days after a handover (409 `handover.protection`). Hanko, LUVN and
Kela never hold a client; a provider (`provider:<id>/provider`, guidance's referrals) is refused every
intake route but the public ones. Each cell runs on fresh clients.
"""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from backbone.clock import today_in_finland
from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import bearer, free_port, intake_settings, serving
from tests.support.people import invent
from tests.support.route_tables import (
    COMMON_MOUNTS,
    COMMON_ROUTES,
    assert_every_route_listed,
    check_common_route,
    common_cases,
)

pytestmark = pytest.mark.integration

TODAY = today_in_finland().isoformat()

CLIENT_ROUTES = ("summary", "events", "pd", "patch", "proposed", "p-accept", "p-reject", "log", "jobseeker", "move",
                 "claim", "c-accept", "c-object", "end", "erase", "contact", "contacts")

# Status of each client route, per caller (principal/role) and whether the client is the caller's own.
CLIENT_TABLE = """
caller                     owns   summary events pd  patch proposed p-accept p-reject log jobseeker move claim c-accept c-object end erase contact  contacts
employment-region/officer  own    200     200    200 412   200      404      404      200 200       200  403   200      200      200 200   403      403
employment-region/system   own    200     200    403 403   403      403      403      403 200       200  403   403      403      403 403   403      403
raseborg/officer           own    200     200    200 412   200      404      404      200 403       200  409   200      200      200 200   403      403
raseborg/system            own    200     200    403 403   403      403      403      403 403       200  409   403      403      403 403   403      403
raseborg/officer           new    200     200    200 412   200      404      404      200 403       200  409   200      200      409 409   403      403
raseborg/system            new    200     200    403 403   403      403      403      403 403       200  409   403      403      403 403   403      403
inga/officer               new    200     200    200 412   200      404      404      200 403       200  409   200      200      409 409   403      403
inga/officer               own    200     200    200 412   200      404      404      200 403       200  409   200      200      200 200   403      403
inga/system                own    200     200    403 403   403      403      403      403 403       200  409   403      403      403 403   403      403
employment-region/officer  other  403     403    403 403   403      403      403      403 409       403  403   403      403      403 403   403      403
employment-region/system   other  403     403    403 403   403      403      403      403 409       403  403   403      403      403 403   403      403
employment-region/officer  prev   403     403    403 403   403      403      403      403 409       403  403   403      403      403 403   403      403
employment-region/system   prev   403     403    403 403   403      403      403      403 409       403  403   403      403      403 403   403      403
raseborg/officer           other  403     403    403 403   403      403      403      403 403       403  201   403      403      403 403   403      403
raseborg/system            other  403     403    403 403   403      403      403      403 403       403  201   403      403      403 403   403      403
raseborg/officer           prev   403     403    403 403   403      403      403      403 403       403  201   403      403      403 403   403      403
hango/officer              other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
hango/system               other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
inga/officer               other  403     403    403 403   403      403      403      403 403       403  201   403      403      403 403   403      403
inga/system                other  403     403    403 403   403      403      403      403 403       403  201   403      403      403 403   403      403
luvn/officer               other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
luvn/system                other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
luvn/officer               luvn   200     200    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
luvn/system                luvn   200     200    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
kela/officer               other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
kela/system                other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
operator/operator          other  200     200    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
notifications/service      other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   200      200
planning/service           other  403     403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
provider:mbi-raseborg/provider other 403  403    403 403   403      403      403      403 403       403  403   403      403      403 403   403      403
anonymous                  other  401     401    401 401   401      401      401      401 401       401  401   401      401      401 401   401      401
"""

OPEN_ROUTES = ("list", "count", "duplicates", "w-claims", "w-handovers", "w-requests", "resolution", "reg-jobseeker",
               "reg-kela", "reg-refugee", "reg-newcomer", "reg-authority", "public-form", "public-key")

# Routes about no particular client: the worklists, duplicates, registrations, the public form and key.
OPEN_TABLE = """
caller                     list count duplicates w-claims w-handovers w-requests resolution reg-jobseeker reg-kela reg-refugee reg-newcomer reg-authority public-form public-key
employment-region/officer  200  200   200        200      200         200         409        201           403      403         403          201           202         200
employment-region/system   200  200   200        200      200         200         403        201           403      403         403          201           202         200
raseborg/officer           200  200   200        200      200         200         409        403           403      201         201          201           202         200
raseborg/system            200  200   200        200      200         200         403        403           403      201         201          201           202         200
hango/officer              200  200   200        200      200         200         409        403           403      201         201          201           202         200
hango/system               200  200   200        200      200         200         403        403           403      201         201          201           202         200
inga/officer               200  200   200        200      200         200         409        403           403      201         201          201           202         200
inga/system                200  200   200        200      200         200         403        403           403      201         201          201           202         200
luvn/officer               200  200   200        200      200         200         409        403           403      403         403          201           202         200
luvn/system                200  200   200        200      200         200         403        403           403      403         403          201           202         200
kela/officer               200  200   200        200      200         200         409        403           201      403         403          201           202         200
kela/system                200  200   200        200      200         200         403        403           201      403         403          201           202         200
operator/operator          200  200   200        200      200         200         403        403           403      403         403          403           202         200
notifications/service      403  403   403        403      403         403         403        403           403      403         403          403           202         200
planning/service           403  403   403        403      403         403         403        403           403      403         403          403           202         200
provider:mbi-raseborg/provider 403 403 403        403      403         403         403        403           403      403         403          403           202         200
anonymous                  401  401   401        401      401         401         401        401           401      401         401          401           202         200
"""

SERVED = {
    "summary": "GET /clients/{client_id}", "events": "GET /clients/{client_id}/events",
    "pd": "GET /clients/{client_id}/personal-data", "patch": "PATCH /clients/{client_id}/personal-data",
    "proposed": "GET /clients/{client_id}/proposed-changes",
    "p-accept": "POST /clients/{client_id}/proposed-changes/{change_id}/acceptance",
    "p-reject": "POST /clients/{client_id}/proposed-changes/{change_id}/rejection",
    "log": "GET /clients/{client_id}/access-log", "jobseeker": "POST /clients/{client_id}/jobseeker-status",
    "move": "POST /clients/{client_id}/home-municipality", "claim": "POST /clients/{client_id}/claims",
    "c-accept": "POST /clients/{client_id}/claims/{claim_id}/acceptance",
    "c-object": "POST /clients/{client_id}/claims/{claim_id}/objection",
    "end": "POST /clients/{client_id}/relationship-end", "erase": "POST /clients/{client_id}/erasure",
    "contact": "GET /internal/clients/{client_id}/contact", "contacts": "POST /internal/contacts",
    "list": "GET /clients", "count": "GET /clients/count",
    "duplicates": "GET /duplicates", "w-claims": "GET /worklist/claims", "w-handovers": "GET /worklist/handovers",
    "w-requests": "GET /worklist/contact-requests",
    "resolution": "POST /duplicates/resolution", "reg-jobseeker": "POST /registrations/jobseeker",
    "reg-kela": "POST /registrations/kela-notification", "reg-refugee": "POST /registrations/refugee-placement",
    "reg-newcomer": "POST /registrations/newcomer-notice", "reg-authority": "POST /registrations/authority-contact",
    "public-form": "POST /public/contact-requests", "public-key": "GET /ingress/public-key",
}
"""Each column's route as the app serves it (issue 14): the check below fails on a route the tables miss."""


def test_the_tables_list_every_route_intake_serves(infra):
    from intake.bootstrap import build

    assert set(SERVED) == set(CLIENT_ROUTES) | set(OPEN_ROUTES)
    assert_every_route_listed(build(intake_settings(infra, free_port())), SERVED, COMMON_ROUTES, COMMON_MOUNTS)


@pytest.mark.parametrize(("caller", "relation", "route", "expected"), common_cases())
async def test_common_route(intake_url, caller, relation, route, expected, auth_of):
    await check_common_route(intake_url, await auth_of(caller), route, expected)


MUNICIPALITY = {"raseborg": "raseborg", "hango": "hango", "inga": "inga"}
"""Where a municipal caller's residents live (a claim names it; registrations are for its residents)."""


def cases(table: str, routes: tuple[str, ...]) -> list:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    offset = len(header) - len(routes)
    assert tuple(header[offset:]) == routes
    found = []
    for row in rows:
        caller, owns = row[0], (row[1] if offset == 2 else None)
        for route, status in zip(routes, row[offset:], strict=True):
            found.append(pytest.param(caller, owns, route, int(status), id=f"{route}-{caller}-{owns or 'any'}"))
    return found


@pytest.fixture(scope="module")
async def intake_url(infra):
    """This module's own intake, with a rate limit the table's public-form cells do not reach."""
    settings = intake_settings(infra, free_port()).model_copy(update={"public_rate_limit": "10000/minute"})
    async with serving(settings) as url:
        yield url


@pytest.fixture
async def http(intake_url):
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        yield client


@pytest.fixture
async def auth_of(tokens):
    async def headers(caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        principal, role = caller.split("/")
        return bearer(await tokens(principal, role))
    return headers


async def new_client(http, auth_of, holder: str) -> str:
    """A fresh client the `holder` organisation is responsible for."""
    if holder == "raseborg":
        source, sender, facts = "kela_notification", "kela", {"home_municipality": "raseborg",
                                                              "benefit": "home_care_allowance"}
    elif holder == "inga":
        source, sender, facts = "municipal_newcomer_notice", "inga", {"home_municipality": "inga"}
    else:
        source, sender, facts = "employment_region_jobseeker", "employment-region", {"home_municipality": "hango"}
    response = await http.post(PATHS[source], json=body(source, invent(), **facts),
                                headers=await auth_of(f"{sender}/system"))
    assert response.status_code == 201, response.text
    return response.json()["client_id"]


def holder_of(caller: str, owns: str) -> str:
    organisation = caller.split("/")[0]
    if owns == "own":
        return organisation
    return "inga" if organisation == "raseborg" else "raseborg"


HANDOVERS = {"employment-region": "raseborg", "raseborg": "inga"}
"""Who takes over each first holder's client in the `prev`/`new` cells (see the module's docstring)."""


async def handed_over(http, auth_of, first: str) -> str:
    """A fresh client of `first`, handed over to `HANDOVERS[first]` (R5) the way intake does it."""
    client = await new_client(http, auth_of, first)
    if first == "employment-region":  # no longer a jobseeker: a resident of Hanko, whom Raseborg serves
        done = await http.post(f"/clients/{client}/jobseeker-status", headers=await auth_of("employment-region/officer"),
                               json={"registered": False, "on": TODAY})
        assert done.status_code == 200, done.text
    else:  # moved to Inkoo: Inkoo claims the client, Raseborg accepts
        claim = await http.post(f"/clients/{client}/claims", headers=await auth_of("inga/officer"),
                                json={"home_municipality": "inga", "on": TODAY})
        assert claim.status_code == 201, claim.text
        done = await http.post(f"/clients/{client}/claims/{claim.json()['claim_id']}/acceptance",
                               headers=await auth_of(f"{first}/officer"))
        assert done.status_code == 200, done.text
    summary = (await http.get(f"/clients/{client}", headers=await auth_of("operator/operator"))).json()
    assert summary["responsible_organisation"] == HANDOVERS[first], summary
    return client


async def client_for(http, auth_of, caller: str, relation: str) -> str:
    """A fresh client in `relation` to the caller's organisation."""
    organisation = caller.split("/")[0]
    if relation == "prev":
        return await handed_over(http, auth_of, organisation)
    if relation == "new":
        return await handed_over(http, auth_of, next(f for f, to in HANDOVERS.items() if to == organisation))
    if relation == "luvn":  # Raseborg's refugee placement: in LUVN's groups (R6)
        response = await http.post(PATHS["refugee_placement"], headers=await auth_of("raseborg/system"),
                                   json=body("refugee_placement", invent(), home_municipality="raseborg"))
        assert response.status_code == 201, response.text
        client = response.json()["client_id"]
        summary = (await http.get(f"/clients/{client}", headers=await auth_of("operator/operator"))).json()
        assert summary["luvn_participation_required"] and summary["responsible_organisation"] == "raseborg", summary
        return client
    return await new_client(http, auth_of, holder_of(caller, relation))


CLAIMANT = {"raseborg": ("inga", "inga"), "inga": ("raseborg", "raseborg"), "employment-region": ("raseborg", "raseborg")}
"""Who claims each holder's client in the claim-decision cells, and for which municipality."""


async def call(http, auth_of, caller: str, route: str, client: str) -> httpx.Response:  # noqa: C901 - one per route
    headers = await auth_of(caller)
    organisation = caller.split("/")[0]
    purpose = {**headers, "X-Purpose": "route_table"}
    at = f"/clients/{client}"
    match route:
        case "summary":
            return await http.get(at, headers=headers)
        case "events":
            return await http.get(f"{at}/events", headers=headers)
        case "pd":
            return await http.get(f"{at}/personal-data", headers=purpose)
        case "patch":
            return await http.patch(f"{at}/personal-data", headers={**headers, "If-Match": '"r999"'},
                                    json={"email": "route.table@example.org"})
        case "proposed":
            return await http.get(f"{at}/proposed-changes", headers=purpose)
        case "p-accept":
            return await http.post(f"{at}/proposed-changes/{uuid4()}/acceptance", headers=headers)
        case "p-reject":
            return await http.post(f"{at}/proposed-changes/{uuid4()}/rejection", headers=headers)
        case "log":
            return await http.get(f"{at}/access-log", headers=headers)
        case "jobseeker":
            return await http.post(f"{at}/jobseeker-status", headers=headers, json={"registered": False, "on": TODAY})
        case "move":
            home = (await http.get(at, headers=await auth_of("operator/operator"))).json()["home_municipality"]
            return await http.post(f"{at}/home-municipality", headers=headers,
                                   json={"home_municipality": "hango" if home == "raseborg" else "raseborg", "on": TODAY})
        case "claim":
            return await http.post(f"{at}/claims", headers=headers,
                                   json={"home_municipality": MUNICIPALITY.get(organisation, "raseborg"), "on": TODAY})
        case "c-accept" | "c-object":
            holder = (await http.get(at, headers=await auth_of("operator/operator"))).json()["responsible_organisation"]
            claimant, municipality = CLAIMANT[holder]
            claim = await http.post(f"{at}/claims", headers=await auth_of(f"{claimant}/officer"),
                                    json={"home_municipality": municipality, "on": TODAY})
            assert claim.status_code == 201, claim.text
            decision = "acceptance" if route == "c-accept" else "objection"
            return await http.post(f"{at}/claims/{claim.json()['claim_id']}/{decision}", headers=headers,
                                   json=None if route == "c-accept" else {"reason": "not_moved"})
        case "end":
            return await http.post(f"{at}/relationship-end", headers=headers, json={"ended_on": TODAY, "reason": "other"})
        case "erase":
            return await http.post(f"{at}/erasure", headers=headers, json={"basis": "client_request"})
        case "contact":
            return await http.get(f"/internal/clients/{client}/contact", headers=purpose)
        case "contacts":
            return await http.post("/internal/contacts", headers=headers,
                                   json={"reads": [{"client_id": client, "purpose": "route_table"}]})
    raise AssertionError(route)


@pytest.mark.parametrize(("caller", "owns", "route", "expected"), cases(CLIENT_TABLE, CLIENT_ROUTES))
async def test_client_route(http, auth_of, caller, owns, route, expected):
    client = await client_for(http, auth_of, caller, owns)

    response = await call(http, auth_of, caller, route, client)

    assert response.status_code == expected, response.text


REGISTRATIONS = {"reg-jobseeker": "employment_region_jobseeker", "reg-kela": "kela_notification",
                 "reg-refugee": "refugee_placement", "reg-newcomer": "municipal_newcomer_notice",
                 "reg-authority": "authority_contact"}


@pytest.mark.parametrize(("caller", "owns", "route", "expected"), cases(OPEN_TABLE, OPEN_ROUTES))
async def test_open_route(http, auth_of, caller, owns, route, expected):
    headers = await auth_of(caller)
    organisation = caller.split("/")[0]

    if route in REGISTRATIONS:
        source = REGISTRATIONS[route]
        response = await http.post(PATHS[source], headers=headers, json=body(
            source, invent(), home_municipality=MUNICIPALITY.get(organisation, "hango")))
    elif route == "public-form":
        response = await http.post(PATHS["own_request"], headers=headers, json=body("own_request", invent()))
    elif route == "resolution":
        response = await http.post("/duplicates/resolution", headers=headers, json={
            "client_id": str(uuid4()), "other_client_id": str(uuid4()), "resolution": "not_duplicate"})
    else:
        path = {"list": "/clients", "count": "/clients/count", "duplicates": "/duplicates",
                "w-claims": "/worklist/claims", "w-handovers": "/worklist/handovers",
                "w-requests": "/worklist/contact-requests",
                "public-key": "/ingress/public-key"}[route]
        response = await http.get(path, headers=headers)

    assert response.status_code == expected, response.text
