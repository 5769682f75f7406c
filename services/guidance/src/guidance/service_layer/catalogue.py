"""The catalogue: publish, change and withdraw services, set guidance hours, seed the programme's data.

Each service has its own stream (`stream_of(code)`) whose version is the service's catalogue version;
the envelopes carry `CATALOGUE_STREAM_ID` as their client id, since no client is concerned.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any
from uuid import UUID, uuid5

import asyncpg
import structlog

from contracts.events.guidance import (
    CATALOGUE_STREAM_ID,
    CatalogueServiceChanged,
    CatalogueServicePublished,
    CatalogueServiceVersion,
    CatalogueServiceWithdrawn,
    OpeningHoursSet,
)
from guidance.adapters.events import Context, append
from guidance.domain import catalogue as rules
from guidance.domain.errors import NotFound, Refused
from guidance.service_layer.deps import Deps, Outcome

log = structlog.get_logger()

SEED_ORGANISATION = "raseborg"
"""The organisation named on the seeded catalogue's events: Raseborg leads the integration programme."""


def stream_of(key: str) -> UUID:
    return uuid5(CATALOGUE_STREAM_ID, key)


def _version(row: asyncpg.Record) -> CatalogueServiceVersion:
    return CatalogueServiceVersion.model_validate(json.loads(row["spec"]))


async def services(conn: asyncpg.Connection, *, include_withdrawn: bool = False) -> dict[str, CatalogueServiceVersion]:
    rows = await conn.fetch("SELECT spec FROM catalogue_services WHERE $1 OR withdrawn_on IS NULL "
                            "ORDER BY service_code", include_withdrawn)
    return {(v := _version(r)).service_code: v for r in rows}


async def service(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> CatalogueServiceVersion | None:
    row = await conn.fetchrow("SELECT spec FROM catalogue_services WHERE service_code = $1 AND withdrawn_on IS NULL"
                              + (" FOR UPDATE" if lock else ""), code)
    return None if row is None else _version(row)


async def put_service(deps: Deps, spec: dict[str, Any], ctx: Context, *,
                      expected_version: int | None = None) -> Outcome:
    """Publish a new service (version 1) or change one (the next version); returns warnings (Lohja's starts)."""
    async with deps.transaction() as conn:
        outcome = await _put(conn, deps, spec, ctx, expected_version)
    return outcome


async def _put(conn: asyncpg.Connection, deps: Deps, spec: dict[str, Any], ctx: Context,
               expected_version: int | None) -> Outcome:
    code = spec["service_code"]
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('guidance.catalogue'))")
    row = await conn.fetchrow("SELECT catalogue_version, withdrawn_on FROM catalogue_services "
                              "WHERE service_code = $1", code)
    current = 0 if row is None else row["catalogue_version"]
    if expected_version is not None and expected_version != current:
        raise Refused("catalogue.version", f"catalogue_version: the service is at version {current}; reload it")
    model = CatalogueServicePublished if current == 0 else CatalogueServiceChanged
    event = model.model_validate({**spec, "catalogue_version": current + 1})
    rules.check_service(event)
    others = (await services(conn)).values()
    warnings = rules.lohja_clashes(event, others)
    ids = await append(conn, stream_of(code), current, [event], client_id=CATALOGUE_STREAM_ID, ctx=ctx,
                       now=deps.clock.now())
    await write_service(conn, event)
    if warnings:
        log.warning("catalogue warning", service_code=code, rule=warnings[0].rule, count=len(warnings))
    from guidance.service_layer import referrals  # a change of capacity may give waiting people a place

    await referrals.refill_starts(conn, deps, event, ctx)
    return Outcome(stream_of(code), ids, ctx.correlation_id,
                   tuple({"rule": w.rule, "message": w.message} for w in warnings))


async def withdraw(deps: Deps, code: str, ctx: Context) -> Outcome:
    """Take a service out of the catalogue (R20: never the last of the minimum programme's kinds)."""
    async with deps.transaction() as conn:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('guidance.catalogue'))")
        catalogue = await services(conn)
        if code not in catalogue:
            raise NotFound("service")
        today = deps.clock.today()
        rules.check_withdrawal(code, catalogue, today)
        version = catalogue[code].catalogue_version
        event = CatalogueServiceWithdrawn(service_code=code, catalogue_version=version + 1, withdrawn_on=today)
        ids = await append(conn, stream_of(code), version, [event], client_id=CATALOGUE_STREAM_ID, ctx=ctx,
                           now=deps.clock.now())
        await write_withdrawn(conn, event)
    return Outcome(stream_of(code), ids, ctx.correlation_id)


async def set_hours(deps: Deps, place: str, kind: str, slots: list[dict[str, Any]], ctx: Context) -> Outcome:
    async with deps.transaction() as conn:
        return await _set_hours(conn, deps, place, kind, slots, ctx)


async def _set_hours(conn: asyncpg.Connection, deps: Deps, place: str, kind: str, slots: list[dict[str, Any]],
                     ctx: Context) -> Outcome:
    current = await conn.fetchval("SELECT catalogue_version FROM opening_hours WHERE place = $1 AND kind = $2 "
                                  "FOR UPDATE", place, kind) or 0
    event = OpeningHoursSet.model_validate({"place": place, "kind": kind, "catalogue_version": current + 1,
                                            "slots": slots})
    stream = stream_of(f"hours:{place}:{kind}")
    ids = await append(conn, stream, current, [event], client_id=CATALOGUE_STREAM_ID, ctx=ctx, now=deps.clock.now())
    await write_hours(conn, event)
    return Outcome(stream, ids, ctx.correlation_id)


# --- the rows, from the events: the one writer of each table, for the live path and a rebuild -------------------
# (`service_layer.projection`) alike


async def write_service(conn: asyncpg.Connection, event: CatalogueServiceVersion) -> None:
    """A service published or changed: its current version."""
    await conn.execute(
        """INSERT INTO catalogue_services (service_code, catalogue_version, kind, provider_code, spec, withdrawn_on)
           VALUES ($1, $2, $3, $4, $5, NULL)
           ON CONFLICT (service_code) DO UPDATE SET catalogue_version = EXCLUDED.catalogue_version,
               kind = EXCLUDED.kind, provider_code = EXCLUDED.provider_code, spec = EXCLUDED.spec,
               withdrawn_on = NULL, updated_at = now()""",
        event.service_code, event.catalogue_version, event.kind.value, event.provider_code,
        CatalogueServiceVersion.model_validate(event.model_dump()).model_dump_json())


async def write_withdrawn(conn: asyncpg.Connection, event: CatalogueServiceWithdrawn) -> None:
    await conn.execute("UPDATE catalogue_services SET catalogue_version = $2, withdrawn_on = $3, "
                       "updated_at = now() WHERE service_code = $1", event.service_code, event.catalogue_version,
                       event.withdrawn_on)


async def write_hours(conn: asyncpg.Connection, event: OpeningHoursSet) -> None:
    await conn.execute(
        """INSERT INTO opening_hours (place, kind, catalogue_version, slots) VALUES ($1, $2, $3, $4)
           ON CONFLICT (place, kind) DO UPDATE SET catalogue_version = EXCLUDED.catalogue_version,
               slots = EXCLUDED.slots""",
        event.place, event.kind, event.catalogue_version, json.dumps([s.model_dump(mode="json") for s in event.slots]))


async def open_places(conn: asyncpg.Connection) -> set[tuple[str, str]]:
    """(place, kind) pairs where guidance has hours: drop-in or appointments."""
    rows = await conn.fetch("SELECT place, kind FROM opening_hours WHERE jsonb_array_length(slots) > 0")
    return {(r["place"], r["kind"]) for r in rows}


def seed_data() -> dict[str, Any]:
    return json.loads(resources.files("guidance.data").joinpath("catalogue.json").read_text(encoding="utf-8"))


async def seed(deps: Deps) -> int:
    """Load the programme's catalogue once, into an empty catalogue (the first start); returns how many
    services were published. Later starts leave the officers' catalogue alone."""
    data = seed_data()
    ctx = Context.system(SEED_ORGANISATION)
    async with deps.transaction() as conn:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('guidance.catalogue.seed'))")
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM catalogue_services) "
                               "OR EXISTS (SELECT 1 FROM opening_hours)"):
            return 0
        for spec in data["services"]:
            await _put(conn, deps, spec, ctx, None)
        for hours in data["opening_hours"]:
            await _set_hours(conn, deps, hours["place"], hours["kind"], hours["slots"], ctx)
    log.info("catalogue seeded", services=len(data["services"]), hours=len(data["opening_hours"]))
    return len(data["services"])


def starts_of(service: CatalogueServiceVersion) -> dict[str, tuple[date | None, int | None]]:
    """Each start's key, day and capacity ('continuous' for continuous admission; capacity None: no limit)."""
    if service.continuous_admission:
        return {"continuous": (None, service.capacity)}
    return {s.starts_on.isoformat(): (s.starts_on, s.capacity) for s in service.starts}
