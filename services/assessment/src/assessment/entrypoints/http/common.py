"""What the routes share: the services, the credentials each kind of route needs, the common headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, HTTPException, Request

from backbone.auth import Caller, authenticated
from contracts.vocabulary import Organisation
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.entrypoints.schemas import Done
from assessment.service_layer import handlers


@dataclass(frozen=True)
class Services:
    handler_deps: handlers.Deps

    def uow(self) -> PostgresUnitOfWork:
        return self.handler_deps.uow()


async def services(request: Request) -> Services:
    """Async, though it awaits nothing: FastAPI runs a plain `def` dependency on its thread pool, a
    thread hand-off per request for a lookup."""
    return request.app.state.services


Deps = Annotated[Services, Depends(services)]
Officer = Annotated[Caller, Depends(authenticated("officer"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator"))]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; a new one is made when absent.")]


def organisation_of(caller: Caller) -> Organisation:
    try:
        return Organisation(caller.principal)
    except ValueError:
        raise HTTPException(403, f"{caller.principal} is not an organisation") from None


def answer(outcome: handlers.Outcome) -> Done:
    return Done(assessment_id=outcome.assessment_id, client_id=outcome.client_id, event_ids=list(outcome.event_ids),
                correlation_id=outcome.correlation_id)
