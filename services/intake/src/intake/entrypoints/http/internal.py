"""Routes for other services only: the notifications service reads how to reach a person."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException

from intake.entrypoints.http.common import Deps, Internal, PurposeHeader, accessor_of
from intake.entrypoints.schemas import ContactDetails
from intake.service_layer import views

router = APIRouter(prefix="/internal", tags=["internal"])

NOTIFICATIONS = "notifications"
CONTACT_FIELDS = ("name", "email", "phone", "address", "languages", "interpreter_needed")


@router.get("/clients/{client_id}/contact", response_model=ContactDetails)
async def contact_details(client_id: UUID, caller: Internal, deps: Deps, purpose: PurposeHeader) -> ContactDetails:
    """For the notifications service only: how to reach the person, and in which language. Logged."""
    if caller.principal != NOTIFICATIONS:
        raise HTTPException(403, {"rule": "ownership.vault", "msg": "only notifications reads contact details"})
    record = await views.personal_data(deps.uow(), client_id, accessor_of(caller, purpose), CONTACT_FIELDS)
    p = record.person
    return ContactDetails(client_id=client_id, name=p.name, email=p.email, phone=p.phone,
                          address=p.address.model_dump() if p.address else None, languages=list(p.languages),
                          interpreter_needed=p.interpreter_needed)
