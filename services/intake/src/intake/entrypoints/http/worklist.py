"""What an organisation must see besides its clients: claims waiting for a decision, and handovers.

No handover is silent: the organisation a client left finds it here, as does the one it went to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from intake.entrypoints.http.common import Deps, Reader
from intake.entrypoints.schemas import HandoverOut, OpenClaimOut
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
