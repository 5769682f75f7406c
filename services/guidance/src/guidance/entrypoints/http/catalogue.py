"""The catalogue over HTTP: read by every caller, kept by officers of the responsible organisations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field, create_model

from contracts.events.guidance import CatalogueServiceVersion, OpeningSlot
from guidance.domain.errors import NotFound
from guidance.entrypoints.http.common import (
    CATALOGUE_KEEPERS,
    CorrelationHeader,
    Done,
    HandlerDeps,
    Officer,
    Reader,
    context,
    done,
    organisation_of,
)
from guidance.service_layer import catalogue, public_catalogue

router = APIRouter(prefix="/catalogue", tags=["catalogue"])
CodePath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]

ServiceIn = create_model(
    "ServiceIn", __config__=ConfigDict(extra="forbid"),
    **{name: (field.annotation, field) for name, field in CatalogueServiceVersion.model_fields.items()
       if name not in ("service_code", "catalogue_version")})
"""A service's whole new version: everything `CatalogueServiceVersion` carries but its code and version."""


class HoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slots: list[OpeningSlot] = Field(max_length=21)


def keeper(caller) -> str:
    organisation = organisation_of(caller)
    if organisation not in CATALOGUE_KEEPERS:
        raise HTTPException(403, {"rule": "ownership.catalogue",
                                  "msg": "only officers of the responsible organisations keep the catalogue"})
    return organisation


@router.get("/services")
async def list_services(_: Reader, deps: HandlerDeps) -> list[dict]:
    return await public_catalogue.published_services(deps.pool())


@router.get("/services/{code}")
async def get_service(code: CodePath, _: Reader, deps: HandlerDeps) -> dict:
    for service in await public_catalogue.published_services(deps.pool()):
        if service["code"] == code:
            return service
    raise NotFound("service")


@router.put("/services/{code}", response_model=Done)
async def put_service(code: CodePath, body: ServiceIn, caller: Officer, deps: HandlerDeps,
                      correlation_id: CorrelationHeader = None,
                      expected_version: Annotated[int | None, Query(
                          ge=0, description="The version you changed; 0 for a new service. A stale one is refused "
                                            "(409).")] = None) -> Done:
    """Publish a service or its next version. Warnings (e.g. Raseborg's start coinciding with Lohja's) do not
    refuse the change; they come back in `warnings`."""
    keeper(caller)
    spec = {**body.model_dump(), "service_code": code}
    return done(await catalogue.put_service(deps, spec, context(caller, correlation_id),
                                            expected_version=expected_version))


@router.delete("/services/{code}", response_model=Done)
async def withdraw_service(code: CodePath, caller: Officer, deps: HandlerDeps,
                           correlation_id: CorrelationHeader = None) -> Done:
    keeper(caller)
    return done(await catalogue.withdraw(deps, code, context(caller, correlation_id)))


@router.get("/services/{code}/starts")
async def starts(code: CodePath, _: Reader, deps: HandlerDeps) -> list[dict]:
    """Each start's places: capacity (None: no limit), places taken and people waiting."""
    async with deps.pool().acquire() as conn:
        service = await catalogue.service(conn, code)
        if service is None:
            raise NotFound("service")
        rows = {r["start_key"]: r for r in await conn.fetch(
            "SELECT start_key, count(*) FILTER (WHERE holds) AS taken, count(*) FILTER (WHERE NOT holds) AS waiting "
            "FROM start_places WHERE service_code = $1 GROUP BY start_key", code)}
    return [{"start": key, "starts_on": day, "capacity": capacity,
             "taken": rows[key]["taken"] if key in rows else 0, "waiting": rows[key]["waiting"] if key in rows else 0}
            for key, (day, capacity) in catalogue.starts_of(service).items()]


@router.get("/opening-hours")
async def opening_hours(_: Reader, deps: HandlerDeps) -> list[dict]:
    return await public_catalogue.opening_hours(deps.pool())


@router.put("/opening-hours/{place}/{kind}", response_model=Done)
async def set_hours(place: Literal["karis", "ekenas", "hango", "inga"], kind: Literal["drop_in", "appointment"],
                    body: HoursIn, caller: Officer, deps: HandlerDeps,
                    correlation_id: CorrelationHeader = None) -> Done:
    keeper(caller)
    slots = [s.model_dump(mode="json") for s in body.slots]
    return done(await catalogue.set_hours(deps, place, kind, slots, context(caller, correlation_id)))
