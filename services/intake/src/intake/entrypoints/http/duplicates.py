"""Possible duplicates: the open pairs, and an officer's decision on one."""

from __future__ import annotations

from uuid import uuid4

from fastapi import APIRouter, HTTPException

from intake.entrypoints.http.common import CorrelationHeader, Deps, Officer, Reader, answer, organisation_of
from intake.entrypoints.schemas import Done, DuplicateFlag, DuplicateResolutionBody
from intake.service_layer import commands, handlers, views

router = APIRouter(prefix="/duplicates", tags=["duplicates"])


@router.get("", response_model=list[DuplicateFlag])
async def open_duplicates(caller: Reader, deps: Deps) -> list[DuplicateFlag]:
    """Open possible duplicates involving the caller's clients (all of them for operators)."""
    organisation = None if caller.role == "operator" else caller.principal
    return [DuplicateFlag(**row) for row in await views.open_duplicates(deps.uow(), organisation)]


@router.post("/resolution", response_model=Done)
async def resolve_duplicate(body: DuplicateResolutionBody, caller: Officer, deps: Deps,
                            correlation_id: CorrelationHeader = None) -> Done:
    """An officer decides a flagged pair: the same person (merged into the survivor) or not."""
    if (body.resolution == "merged") != (body.surviving_client_id is not None):
        raise HTTPException(422, [{"loc": ["body", "surviving_client_id"], "type": "value_error",
                                   "msg": "required when merged, and only then"}])
    cmd = commands.ResolveDuplicate(sender=organisation_of(caller), actor=caller.actor, client_id=body.client_id,
                                    other_client_id=body.other_client_id, resolution=body.resolution,
                                    surviving_client_id=body.surviving_client_id,
                                    correlation_id=correlation_id or uuid4())
    return answer(await handlers.resolve_duplicate(cmd, deps.handler_deps))
