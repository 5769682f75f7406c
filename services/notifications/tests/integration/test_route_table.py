"""Every notifications route x organisation x role x relation to the client, with the status each must get,
over HTTP against the running service (issue 14), after intake's route table.

Who may do what (the README's notifications section): a client's opt-outs and the states of its messages
are for the client's responsible organisation *or its home municipality* (which prints and posts its
letters), officers and systems alike; operators read message states and change nothing; the letters to
print are the home municipality's; SMS receipts come only signed by the SMS provider (`X-Signature`), a
bearer token counts for nothing there; other services, providers and unknown callers nothing.

Relations as in `tests/support/route_tables.py` (every client here lives in Raseborg): so for Raseborg
`other` is the employment region's jobseeker living in Raseborg, whom Raseborg may opt out as the home
municipality. A printable letter of an unknown id is 404 for whoever may print (the route's home-municipality
check is proved in `test_delivery.py`).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.notifications.tests.integration.support import (
    DaytimeClock,
    eventually,
    notifications_app,
    notifications_settings,
)
from notifications.bootstrap import build
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

pytestmark = pytest.mark.integration

ROUTES = {"receipt": "POST /sms/receipts", "opt-out": "PUT /clients/{client_id}/opt-outs/{channel}",
          "opt-in": "DELETE /clients/{client_id}/opt-outs/{channel}",
          "messages": "GET /clients/{client_id}/notifications", "letters": "GET /letters",
          "letter": "GET /letters/{notification_id}.pdf"}

TABLE = """
caller                          relation receipt opt-out opt-in messages letters letter
employment-region/officer       own      401     204     204    200      200     404
employment-region/officer       other    401     403     403    403      200     404
employment-region/officer       prev     401     403     403    403      200     404
employment-region/system        own      401     204     204    200      200     404
raseborg/officer                own      401     204     204    200      200     404
raseborg/officer                other    401     204     204    200      200     404
raseborg/officer                new      401     204     204    200      200     404
inga/officer                    own      401     204     204    200      200     404
inga/officer                    other    401     403     403    403      200     404
hango/officer                   other    401     403     403    403      200     404
luvn/officer                    other    401     403     403    403      200     404
kela/system                     other    401     403     403    403      200     404
operator/operator               other    401     403     403    200      403     403
intake/service                  other    401     403     403    403      403     403
provider:mbi-raseborg/provider  other    401     403     403    403      403     403
anonymous                       other    401     401     401    401      401     401
"""

CLIENT_ROUTES = {"opt-out", "opt-in", "messages"}


def settings_for(infra):
    # Nothing listens at the intake URL: these clients are never contacted (their welcome fails, retried).
    return notifications_settings(infra, intake_url=f"http://127.0.0.1:{free_port()}", smtp_port=free_port(),
                                  sms_url=f"http://127.0.0.1:{free_port()}")


def test_the_table_lists_every_route_notifications_serves(infra):
    assert_every_route_listed(build(settings_for(infra), clock=DaytimeClock()), ROUTES, COMMON_ROUTES, COMMON_MOUNTS)


@pytest.fixture(scope="module")
async def notifications(infra, publish):
    """Notifications for the module and a client of its own for every cell acting on one."""
    import asyncpg

    async with notifications_app(settings_for(infra), DaytimeClock(), infra) as url:
        pool = await asyncpg.create_pool(infra.dsn("notifications"), min_size=1, max_size=2)
        try:
            clients = await publish_clients(publish, client_cells(TABLE, ROUTES, CLIENT_ROUTES))

            async def known() -> bool:
                found = await pool.fetch("SELECT client_id, responsible_organisation FROM client_view "
                                         "WHERE client_id = ANY($1)", [c for c, _ in clients.values()])
                return {r["client_id"]: r["responsible_organisation"] for r in found} == dict(clients.values())

            await eventually(known, timeout=300, what="every cell's client in the client view")
            yield url, token_issuer(pool, "notifications route table"), {c: i for c, (i, _) in clients.items()}
        finally:
            await pool.close()


async def check_cell(notifications, caller, relation, route, expected):
    url, headers_of, clients = notifications
    headers = await headers_of(caller)
    client_id = clients.get((caller, relation, route), uuid.uuid4())
    method, path = ROUTES[route].split(" ", 1)
    path = path.format(client_id=client_id, channel="sms", notification_id=uuid.uuid4())
    body = {"id": "route-table", "reference": str(uuid.uuid4()), "status": "delivered"} if route == "receipt" else None

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.request(method, path, headers=headers, json=body)

    assert response.status_code == expected, response.text
    assert refusal_names_its_reason(response.status_code, response.text), response.text
    if expected == 403 and caller.rsplit("/", 1)[1] in ("officer", "system"):
        assert "ownership." in response.text, response.text


async def test_every_cell_of_the_table(notifications):
    await run_table(cases(TABLE, ROUTES), lambda *cell: check_cell(notifications, *cell))


async def test_every_cell_of_the_shared_routes_table(notifications):
    await check_every_shared_route(notifications[0], notifications[1])
