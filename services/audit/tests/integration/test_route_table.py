"""Every route of the audit service and its operator console x organisation x role, with the status each must
get, over HTTP against the running service (issue 14), after intake's route table.

Who may do what (architecture.md: operators watch the log; the README's console and security sections): the
console is for operators (everything: the log, lag, dead letters and their redrive, integrity) and for
organisations' officers, who see only their own organisation's part read-only (its events, its clients'
timelines as far as it acted, deadlines, the follow-up figures of their own municipality only: the
employment region all three, LUVN and Kela none). Systems, services, providers and anonymous callers are
sent to the login form (303) and a login with their credential is refused (401). A console session is the
bearer token in the `console_session` cookie.

Relations: `own` an event the caller's organisation recorded, `other` one another organisation recorded
(`events` and `timeline` act on it); `-` a route about no particular client.
"""

from __future__ import annotations

import os
import uuid
from unittest.mock import patch

import asyncpg
import httpx
import pytest

from audit.bootstrap import build
from audit.config import AuditSettings
from services.guidance.tests.integration.conftest import registered
from tests.support.journey import eventually
from tests.support.processes import free_port
from tests.support.route_tables import (
    COMMON_MOUNTS,
    COMMON_ROUTES,
    assert_every_route_listed,
    cases,
    check_every_shared_route,
    run_table,
    token_issuer,
)
from tests.support.serving import serving

pytestmark = pytest.mark.integration

ROUTES = {
    "static": "GET /console/static/{name}", "login-form": "GET /console/login", "login": "POST /console/login",
    "logout": "POST /console/logout", "home": "GET /console", "home-slash": "GET /console/",
    "log": "GET /console/log", "stream": "GET /console/log/stream", "event": "GET /console/events/{event_id}",
    "find": "GET /console/clients", "timeline": "GET /console/clients/{client_id}", "lag": "GET /console/lag",
    "dead-letters": "GET /console/dead-letters", "dead-letter": "GET /console/dead-letters/{dead_letter_id}",
    "redrive": "POST /console/dead-letters/{dead_letter_id}/redrive", "deadlines": "GET /console/deadlines",
    "figures": "GET /console/figures", "figures-csv": "GET /console/figures.csv",
    "integrity": "GET /console/integrity", "verify": "POST /console/integrity/verify",
}

TABLE = """
caller                          relation static login-form login logout home home-slash log stream event find timeline lag dead-letters dead-letter redrive deadlines figures figures-csv integrity verify
operator/operator               other    200    200        303   303    303  303        200 200    200   303  200      200 200          404         404     200       200     200         200       303
raseborg/officer                own      200    200        303   303    303  303        200 200    200   303  200      403 403          403         403     200       200     200         403       403
raseborg/officer                other    200    200        303   303    303  303        200 200    404   303  200      403 403          403         403     200       200     200         403       403
inga/officer                    own      200    200        303   303    303  303        200 200    200   303  200      403 403          403         403     200       403     403         403       403
employment-region/officer       other    200    200        303   303    303  303        200 200    404   303  200      403 403          403         403     200       200     200         403       403
hango/officer                   other    200    200        303   303    303  303        200 200    404   303  200      403 403          403         403     200       403     403         403       403
luvn/officer                    other    200    200        303   303    303  303        200 200    404   303  200      403 403          403         403     200       403     403         403       403
kela/officer                    other    200    200        303   303    303  303        200 200    404   303  200      403 403          403         403     200       403     403         403       403
raseborg/system                 other    200    200        401   303    303  303        303 401    303   303  303      303 303          303         303     303       303     303         303       303
intake/service                  other    200    200        401   303    303  303        303 401    303   303  303      303 303          303         303     303       303     303         303       303
provider:mbi-raseborg/provider  other    200    200        401   303    303  303        303 401    303   303  303      303 303          303         303     303       303     303         303       303
anonymous                       other    200    200        401   303    303  303        303 401    303   303  303      303 303          303         303     303       303     303         303       303
"""

RASEBORG_HALF = {"municipality": "raseborg"}


def audit_settings(infra) -> AuditSettings:
    with patch.dict(os.environ, infra.service_env("audit", free_port())):
        return AuditSettings()


def test_the_table_lists_every_route_audit_serves(infra):
    assert_every_route_listed(build(audit_settings(infra)), ROUTES, COMMON_ROUTES, COMMON_MOUNTS)


@pytest.fixture(scope="module")
async def audit(infra, publish):
    """The audit service for the module and an event recorded by Raseborg and one by Inkoo in its trail:
    (url, headers_of, {organisation: (event_id, client_id)})."""
    settings = audit_settings(infra)
    events = {org: registered(uuid.uuid4(), organisation=org) for org in ("raseborg", "inga")}
    async with serving(build(settings), settings.http_port, "audit") as url:
        await publish(*events.values())
        pool = await asyncpg.create_pool(infra.dsn("audit"), min_size=1, max_size=2)
        try:
            await eventually(lambda: pool.fetchval("SELECT count(*) = 2 FROM audit_trail WHERE event_id = ANY($1)",
                                                   [e.event_id for e in events.values()]), timeout=300, what="the two events in the trail")
            yield url, token_issuer(pool, "audit route table"), {
                org: (e.event_id, e.client_id) for org, e in events.items()}
        finally:
            await pool.close()


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf" value="' in html else ""


async def check_cell(audit, caller, relation, route, expected):
    url, headers_of, recorded = audit
    token = (await headers_of(caller)).get("Authorization", " ").split(" ", 1)[1]
    organisation = caller.split("/")[0]
    holder = organisation if relation == "own" else ("inga" if organisation == "raseborg" else "raseborg")
    event_id, client_id = recorded[holder]
    method, path = ROUTES[route].split(" ", 1)
    path = path.format(name="console.css", event_id=event_id, client_id=client_id, dead_letter_id=2**31 - 7)
    cookies = {"console_session": token} if token else None
    async with httpx.AsyncClient(base_url=url, timeout=30, cookies=cookies, follow_redirects=False,
                                 headers={"Origin": url}) as http:
        csrf = csrf_of((await http.get("/console/log")).text) if method == "POST" else ""
        match route:
            case "login":
                response = await http.post(path, data={"token": token, "next": "/console/log"})
            case "stream":
                async with http.stream("GET", path) as streamed:
                    response = streamed
            case "find":
                response = await http.get(path, params={"client_id": str(client_id)})
            case "figures" | "figures-csv":
                response = await http.get(path, params=RASEBORG_HALF)
            case _:
                response = await http.request(method, path, data={"csrf": csrf} if method == "POST" else None)

    assert response.status_code == expected, response.text if route != "stream" else ""
    if route == "timeline" and expected == 200 and not caller.startswith("operator/"):
        # An officer's timeline of a client shows only what its own organisation recorded.
        assert (str(event_id)[:8] in response.text) == (relation == "own")


async def test_every_cell_of_the_table(audit):
    await run_table(cases(TABLE, ROUTES), lambda *cell: check_cell(audit, *cell),
                    serial=frozenset({"verify", "logout"}))


async def test_every_cell_of_the_shared_routes_table(audit):
    await check_every_shared_route(audit[0], audit[1])
