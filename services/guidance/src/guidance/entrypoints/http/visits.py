"""The guidance and counselling log over HTTP."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.events.guidance import CounsellingTopic
from contracts.vocabulary import LanguageCode
from guidance.entrypoints.http.common import (
    CorrelationHeader,
    Done,
    HandlerDeps,
    Officer,
    Reader,
    Recorder,
    context,
    done,
    organisation_of,
)
from guidance.service_layer import visits

router = APIRouter(tags=["guidance log"])


class VisitIn(BaseModel):
    """A visit. Leave `client_id` out for someone who is not a client (R1): the visit is then only counted,
    with no person and no note."""

    model_config = ConfigDict(extra="forbid")
    client_id: UUID | None = None
    visited_on: date
    mode: Literal["drop_in", "appointment", "phone", "remote"]
    place: Literal["karis", "ekenas", "hango", "inga"] | None = None
    topics: list[CounsellingTopic] = Field(min_length=1, max_length=10)
    language: LanguageCode
    interpreter: Literal["none", "professional", "relative"] = Field(
        description="R27: a professional interpreter when the visit is not in a language the person knows; never "
                    "a relative.")
    visitors: int = Field(1, ge=1, le=50, description="For anonymous visits: how many people came together.")
    note: str | None = Field(None, max_length=4000, description="Free text about a client's visit, encrypted under "
                                                                "the client's key and destroyed on erasure.")


@router.post("/visits", response_model=Done, status_code=201)
async def record(body: VisitIn, caller: Recorder, deps: HandlerDeps, correlation_id: CorrelationHeader = None) -> Done:
    return done(await visits.record(deps, context(caller, correlation_id), client_id=body.client_id,
                                    visited_on=body.visited_on, mode=body.mode, place=body.place,
                                    topics=tuple(dict.fromkeys(body.topics)), language=body.language,
                                    interpreter=body.interpreter, visitors=body.visitors, note=body.note))


@router.get("/clients/{client_id}/visits")
async def client_visits(client_id: UUID, caller: Officer, deps: HandlerDeps) -> list[dict]:
    return await visits.client_visits(deps, organisation_of(caller), client_id)


@router.get("/visits/counts")
async def counts(_: Reader, deps: HandlerDeps, since: Annotated[date, Query()],
                 until: Annotated[date, Query()]) -> list[dict]:
    """Visitors per place, mode and topic, clients and anonymous visitors apart; no ids."""
    return await visits.counts(deps, since=since, until=until)
