"""What the routes share: the handlers' dependencies, the credentials each route needs, turning a caller
into an organisation, a provider or a command context, and the answer of a command."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, Header, HTTPException, Request
from pydantic import BaseModel

from backbone.auth import Caller, authenticated
from contracts.vocabulary import Organisation
from guidance.adapters.events import Context
from guidance.service_layer.deps import Deps, Outcome
from guidance.service_layer.referrals import Actor


def deps(request: Request) -> Deps:
    return request.app.state.deps


HandlerDeps = Annotated[Deps, Depends(deps)]
Officer = Annotated[Caller, Depends(authenticated("officer"))]
Recorder = Annotated[Caller, Depends(authenticated("officer", "system"))]
Provider = Annotated[Caller, Depends(authenticated("provider"))]
OfficerOrProvider = Annotated[Caller, Depends(authenticated("officer", "system", "provider"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator", "provider"))]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; a new one is made when absent.")]

CATALOGUE_KEEPERS = frozenset({"employment-region", "raseborg", "hango", "inga"})
"""The responsible organisations, whose officers maintain the catalogue."""


def organisation_of(caller: Caller) -> str:
    try:
        return Organisation(caller.principal).value
    except ValueError:
        raise HTTPException(403, f"{caller.principal} is not an organisation") from None


def actor_of(caller: Caller) -> Actor:
    if caller.role == "provider":
        return Actor("provider", caller.provider_code)
    return Actor("officer", organisation_of(caller))


def context(caller: Caller, correlation_id: UUID | None) -> Context:
    """The envelope's who and why: the caller's organisation (a provider's is left empty: its events name
    the organisation that made the referral), the credential's key id as actor, and the correlation id."""
    organisation = "" if caller.role == "provider" else organisation_of(caller)
    return Context(organisation, caller.actor, correlation_id or uuid4())


class Done(BaseModel):
    subject_id: UUID
    event_ids: list[UUID]
    correlation_id: UUID
    warnings: list[dict[str, str]] = []


def done(outcome: Outcome) -> Done:
    return Done(subject_id=outcome.subject_id, event_ids=list(outcome.event_ids),
                correlation_id=outcome.correlation_id, warnings=list(outcome.warnings))
