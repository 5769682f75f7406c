"""What the routes share: the services, the credentials each kind of route needs, the common headers,
and turning a caller into an organisation or a vault accessor and an outcome into a response."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, HTTPException

from backbone.auth import Caller, authenticated
from contracts.vocabulary import Organisation
from intake.adapters.vault import Accessor
from intake.entrypoints.dependencies import Services, services
from intake.entrypoints.schemas import Done
from intake.service_layer import handlers

Deps = Annotated[Services, Depends(services)]
Registrar = Annotated[Caller, Depends(authenticated("officer", "system"))]
Officer = Annotated[Caller, Depends(authenticated("officer"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator"))]
Internal = Annotated[Caller, Depends(authenticated("service"))]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; a new one is made when absent.")]
IdempotencyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=r"^[A-Za-z0-9_.:-]{8,128}$",
    description="Send the same key when retrying a registration: the repeat gets the first answer (with "
                "`Idempotent-Replayed: true`) and is not applied again. Keys are kept 7 days.")]
IfMatchHeader = Annotated[str | None, Header(alias="If-Match", description="The ETag of GET personal-data that "
                                                                      "the edit is based on; required.")]
PurposeHeader = Annotated[str, Header(alias="X-Purpose", pattern=r"^[a-z][a-z0-9_]{2,63}$",
                                      description="Why personal data is read (e.g. `welcome_letter`); "
                                                  "written to the client's access log.")]


def organisation_of(caller: Caller) -> Organisation:
    try:
        return Organisation(caller.principal)
    except ValueError:
        raise HTTPException(403, f"{caller.principal} is not an organisation") from None


def accessor_of(caller: Caller, purpose: str) -> Accessor:
    return Accessor(caller.principal, caller.role, caller.key_id, purpose)


def answer(outcome: handlers.Outcome) -> Done:
    return Done(client_id=outcome.client_id, event_ids=list(outcome.event_ids), correlation_id=outcome.correlation_id)


def etag(revision: int) -> str:
    return f'"r{revision}"'


def revision_of(if_match: str) -> int:
    """The revision an If-Match names; one that names none matches nothing (412)."""
    value = if_match.strip().removeprefix("W/")
    if value.startswith('"r') and value.endswith('"') and value[2:-1].isdigit():
        return int(value[2:-1])
    return -1


CONFLICT = {409: {"description": "Refused by the client's state, naming the rule: `unchanged.*` (the command would "
                                 "change nothing; the body says `changed: false`), `claims.*`, `handover.protection`"}}
STALE = {412: {"description": "The data changed since the ETag sent in If-Match was read: read it again"},
         428: {"description": "If-Match is missing: send the ETag of GET /clients/{id}/personal-data"}}
