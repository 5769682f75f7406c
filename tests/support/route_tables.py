"""The pieces of a route table test (issue 14), after intake's `test_route_table.py`: a table of callers x
routes with the status each cell must get over HTTP, a check that the table names every route the app
serves, and bearer tokens issued in the service's own credential store.

A table is text: a header `caller relation <route> <route> ...` and one row per caller (`principal/role`, or
`anonymous`) and relation to the client the cell acts on (`own`, `other`, `luvn`, `prev`: the caller's
organisation held the client before a handover, `new`: it received the client in one; `-` for a route about
no particular client). A cell is the HTTP status.

It is also a pytest plugin (the root conftest loads it): the `publish` fixture puts events on the bus with
their producers' own credentials, for the tables (and other tests) of services that consume them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from starlette.routing import Mount

from backbone import auth
from contracts.envelope import Envelope
from contracts.topics import event_topic

Cell = tuple[str, str, str]
"""(caller, relation, route) of a cell."""

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served_routes(app: FastAPI) -> set[str]:
    """Every `METHOD /path` the app answers (and `MOUNT /path` for a mounted app or static folder)."""
    return _walk(app.routes, "")


def _walk(routes, prefix: str) -> set[str]:
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps included routers lazily
        if included is not None:
            found |= _walk(included.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif isinstance(route, Mount):
            found.add(f"MOUNT {prefix}{route.path}")
        else:
            found |= {f"{method} {prefix}{route.path}"
                      for method in set(getattr(route, "methods", None) or ()) - IGNORED_METHODS}
    return found


def assert_every_route_listed(app: FastAPI, *tables: dict[str, str] | set[str]) -> None:
    """The tables' routes are exactly the app's: a new route fails here until someone decides who may call it."""
    listed = {route for table in tables for route in (table.values() if isinstance(table, dict) else table)}
    served = served_routes(app)
    assert not served - listed, f"routes served but not in the table: {sorted(served - listed)}"
    assert not listed - served, f"routes in the table that the app does not serve: {sorted(listed - served)}"


def cases(table: str, routes: dict[str, str]) -> list:
    """pytest params (caller, relation, route, status) for every cell of `table`."""
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[:2] == ["caller", "relation"] and header[2:] == list(routes), header
    found = []
    for caller, relation, *cells in rows:
        for route, status in zip(routes, cells, strict=True):
            found.append(pytest.param(caller, relation, route, int(status), id=f"{route}-{caller}-{relation}"))
    return found


def rows(table: str) -> list[tuple[str, str]]:
    """(caller, relation) of every row."""
    return [tuple(line.split()[:2]) for line in table.strip().splitlines()[1:]]


def client_cells(table: str, routes: Iterable[str], client_routes: Iterable[str]) -> list[Cell]:
    """Every cell of `table` whose route acts on a client (each gets a client of its own)."""
    acting = set(client_routes)
    return [(caller, relation, route) for caller, relation in rows(table) for route in routes if route in acting]


def token_issuer(pool: asyncpg.Pool, label: str) -> Callable[[str], Awaitable[dict[str, str]]]:
    """`await headers(caller)`: the Authorization header of a credential for `principal/role` issued in the
    service's own database (cached), none for `anonymous`."""
    issued: dict[str, str] = {}

    async def headers(caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller not in issued:
            principal, role = caller.rsplit("/", 1)
            async with pool.acquire() as conn:
                credential = await auth.issue(conn, principal=principal, role=role, label=label, now=datetime.now(UTC),
                                              expires_at=datetime.now(UTC) + timedelta(days=1))
            issued[caller] = credential.token
        return {"Authorization": f"Bearer {issued[caller]}"}

    return headers


def refusal_names_its_reason(status: int, text: str) -> bool:
    """A 403 says why: the rule (`ownership.*`, a law rule id) or the role that may not do it."""
    return status != 403 or any(word in text for word in ("ownership.", "role ", "\"R", "not an organisation",
                                                          "may not"))


# -- the routes every backbone service serves (backbone.app.create_service_app) ---------------------------

COMMON_ROUTES = {"healthz": "GET /healthz", "readyz": "GET /readyz", "openapi": "GET /openapi.json", "docs": "GET /docs",
                 "redoc": "GET /redoc", "asyncapi": "GET /asyncapi", "asyncapi-json": "GET /asyncapi.json",
                 "redrive": "POST /admin/dead-letters/redrive"}
"""Health, readiness and the API documents are public (no personal data); a redrive of the service's own dead
letters is for operators and the audit service's console (404 here: there is no dead letter at that offset)."""

COMMON_MOUNTS = {"MOUNT /static/docs", "MOUNT /static/asyncapi"}
"""The documentation pages' own scripts and styles, served from the package (nothing fetched from outside)."""

COMMON_TABLE = """
caller                          relation healthz readyz openapi docs redoc asyncapi asyncapi-json redrive
employment-region/officer       -        200     200    200     200  200   200      200           403
raseborg/system                 -        200     200    200     200  200   200      200           403
luvn/officer                    -        200     200    200     200  200   200      200           403
kela/system                     -        200     200    200     200  200   200      200           403
operator/operator               -        200     200    200     200  200   200      200           404
audit/service                   -        200     200    200     200  200   200      200           404
notifications/service           -        200     200    200     200  200   200      200           403
provider:mbi-raseborg/provider  -        200     200    200     200  200   200      200           403
anonymous                       -        200     200    200     200  200   200      200           401
"""


def common_cases() -> list:
    return cases(COMMON_TABLE, COMMON_ROUTES)


async def check_every_shared_route(url: str, headers_of: Callable[[str], Awaitable[dict[str, str]]]) -> None:
    """Every cell of COMMON_TABLE against the service at `url`, one at a time (readiness checks the pool)."""
    async def check(caller: str, _relation: str, route: str, expected: int) -> None:
        await check_common_route(url, await headers_of(caller), route, expected)

    await run_table(common_cases(), check, concurrency=1)


async def check_common_route(url: str, headers: dict[str, str], route: str, expected: int) -> None:
    import httpx

    method, path = COMMON_ROUTES[route].split(" ", 1)
    body = {"partition": 0, "offset": 2**40} if route == "redrive" else None
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.request(method, path, headers=headers, json=body)
    assert response.status_code == expected, response.text
    assert refusal_names_its_reason(response.status_code, response.text), response.text


# -- clients in each relation to the caller, as intake would announce them ------------------------------

def holders(caller: str, relation: str) -> tuple[str, str | None, bool]:
    """(the organisation responsible now, the one responsible before a handover or None, LUVN takes part)
    for the client a cell acts on. `other` is Raseborg's client (for Raseborg the employment region's)."""
    organisation = caller.split("/")[0]
    if relation == "own":
        return organisation, None, False
    if relation == "new":
        return organisation, "employment-region", False
    if relation == "prev":
        return "raseborg", organisation, False
    if relation == "luvn":
        return "raseborg", None, True
    return ("employment-region" if organisation == "raseborg" else "raseborg"), None, False


def intake_story(client_id, caller: str, relation: str) -> list:
    """The intake events (envelopes) that put `client_id` in `relation` to `caller`: a registration by the
    first holder and, for a handover, `ResponsibilityAssigned` (R5) to the second."""
    from contracts.envelope import Envelope
    from contracts.events.intake import ResponsibilityAssigned
    from backbone.clock import today_in_finland
    from tests.support.events import registered

    owner, before, luvn = holders(caller, relation)
    first = before or owner
    jobseeker = first == "employment-region"
    registration = registered(
        client_id, responsible_organisation=first, registered_jobseeker=jobseeker,
        responsibility_reason="registered_jobseeker" if jobseeker else "own_municipal_services",
        home_municipality="raseborg" if jobseeker else first,
        target_groups=("unemployed_jobseeker",) if jobseeker else ("international_protection",),
        luvn_participation_required=luvn)
    story = [registration]
    if before:
        story.append(Envelope.wrap(
            ResponsibilityAssigned(previous_organisation=before, responsible_organisation=owner,
                                   effective_on=today_in_finland(),
                                   reason="no_longer_registered_jobseeker" if jobseeker else "registered_as_jobseeker"),
            producer="intake", organisation=before, actor="officer-1", client_id=client_id,
            correlation_id=registration.correlation_id))
    return story


async def publish_clients(publish: Callable[..., Awaitable[None]], cells: Iterable[Cell], *,
                          also: Callable[[Cell, list[Envelope]], Iterable[Envelope]] = lambda cell, story: ()
                          ) -> dict[Cell, tuple[uuid.UUID, str]]:
    """A fresh client for every cell, in the cell's relation to its caller: intake's story of it (`intake_story`)
    and what `also(cell, story)` adds (another service's events about the client), all published in one go.
    Returns {cell: (client_id, the organisation responsible for it now)}."""
    clients: dict[Cell, tuple[uuid.UUID, str]] = {}
    envelopes: list[Envelope] = []
    for cell in cells:
        client_id = uuid.uuid4()
        story = intake_story(client_id, cell[0], cell[1])
        envelopes += [*story, *also(cell, story)]
        clients[cell] = (client_id, holders(cell[0], cell[1])[0])
    await publish(*envelopes)
    return clients


@pytest.fixture(scope="module")
async def publish(infra) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """`await publish(envelope, ...)`: each envelope on its producer's topic with that producer's own credential,
    keyed by client. All are handed to the producers before any delivery is awaited (one round trip for many,
    not one each); an idempotent producer keeps the order given on each partition, so one client's events stay
    in order."""
    producers: dict[str, AIOKafkaProducer] = {}

    async def send(*envelopes: Envelope) -> None:
        deliveries = []
        for envelope in envelopes:
            producer = producers.get(envelope.producer)
            if producer is None:
                producer = AIOKafkaProducer(**infra.kafka_kwargs(str(envelope.producer)), enable_idempotence=True,
                                            acks="all")
                await producer.start()
                producers[envelope.producer] = producer
            deliveries.append(await producer.send(event_topic(str(envelope.producer)), envelope.to_bytes(),
                                                  key=envelope.key()))
        await asyncio.gather(*deliveries)

    yield send
    for producer in producers.values():
        await producer.stop()


async def run_table(cells: list, check: Callable[..., Awaitable[None]], *, concurrency: int = 4,
                    serial: frozenset[str] = frozenset()) -> None:
    """`await check(caller, relation, route, expected)` for every cell, `concurrency` at a time (each cell has
    its own client, so cells cannot disturb each other; routes in `serial` change shared data and run one at a
    time afterwards); fails naming every cell that failed, and why."""
    import asyncio

    gate = asyncio.Semaphore(concurrency)
    failures: list[str] = []

    async def one(cell) -> None:
        try:
            await check(*cell.values)
        except AssertionError as failed:
            failures.append(f"{cell.id}: {str(failed).splitlines()[0][:300]}")

    async def gated(cell) -> None:
        async with gate:
            await one(cell)

    await asyncio.gather(*(gated(c) for c in cells if c.values[2] not in serial))
    for cell in (c for c in cells if c.values[2] in serial):
        await one(cell)
    assert not failures, f"{len(failures)} of {len(cells)} cells differ from the table:\n" + "\n".join(sorted(failures))
