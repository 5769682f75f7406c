"""What an organisation must see besides its clients: claims waiting for a decision, handovers, and the
public form's contact requests.

No handover is silent: the organisation a client left finds it here, as does the one it went to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from intake.entrypoints.http.common import Deps, Reader
from intake.entrypoints.schemas import ContactRequestOut, HandoverOut, OpenClaimOut
from intake.service_layer import views

router = APIRouter(prefix="/worklist", tags=["worklist"])


@router.get("/claims", response_model=list[OpenClaimOut])
async def open_claims(caller: Reader, deps: Deps) -> list[OpenClaimOut]:
    """Open claims the caller made or that concern its clients (operators: all), soonest deadline first."""
    organisation = None if caller.role == "operator" else caller.principal
    return [OpenClaimOut(**row) for row in await views.open_claims(deps.uow(), organisation)]


@router.get("/handovers", response_model=list[HandoverOut])
async def handovers(caller: Reader, deps: Deps,
                    days: Annotated[int, Query(ge=1, le=366, description="How many days back")] = 90
                    ) -> list[HandoverOut]:
    """Clients that moved from or to the caller (operators: all), newest first: codes, dates and ids."""
    organisation = None if caller.role == "operator" else caller.principal
    since = datetime.now(UTC) - timedelta(days=days)
    return [HandoverOut(**row) for row in await views.handovers(deps.uow(), organisation, since)]


@router.get("/contact-requests", response_model=list[ContactRequestOut])
async def contact_requests(caller: Reader, deps: Deps,
                           days: Annotated[int, Query(ge=1, le=366, description="How many days back")] = 30,
                           reference: Annotated[UUID | None, Query(description="Only the request with the "
                                                                   "reference the person was given")] = None
                           ) -> list[ContactRequestOut]:
    """Requests people made themselves on the public form, of the clients the caller is responsible for
    (operators: all), newest first: an officer finds the client behind the reference a person quotes.
    Ids and times only; another organisation's request is not shown, not even by its reference."""
    organisation = None if caller.role == "operator" else caller.principal
    since = datetime.now(UTC) - timedelta(days=days)
    rows = await views.contact_requests(deps.uow(), organisation, since, reference)
    return [ContactRequestOut(**row) for row in rows]
