"""Routes for other services only: the notifications service reads how to reach a person (one client,
or up to 100 in one request)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException

from backbone.auth import Caller
from intake.adapters.vault import VaultRecord
from intake.entrypoints.http.common import Deps, Internal, PurposeHeader, accessor_of
from intake.entrypoints.schemas import ContactDetails, ContactDetailsMany, ContactReads
from intake.service_layer import views

router = APIRouter(prefix="/internal", tags=["internal"])

NOTIFICATIONS = "notifications"
CONTACT_FIELDS = ("name", "email", "phone", "address", "languages", "interpreter_needed")


def _only_notifications(caller: Caller) -> None:
    if caller.principal != NOTIFICATIONS:
        raise HTTPException(403, {"rule": "ownership.vault", "msg": "only notifications reads contact details"})


def _details(client_id: UUID, record: VaultRecord) -> ContactDetails:
    p = record.person
    return ContactDetails(client_id=client_id, name=p.name, email=p.email, phone=p.phone,
                          address=p.address.model_dump() if p.address else None, languages=list(p.languages),
                          interpreter_needed=p.interpreter_needed)


@router.get("/clients/{client_id}/contact", response_model=ContactDetails)
async def contact_details(client_id: UUID, caller: Internal, deps: Deps, purpose: PurposeHeader) -> ContactDetails:
    """For the notifications service only: how to reach the person, and in which language. Logged."""
    _only_notifications(caller)
    record = await views.personal_data(deps.uow(), client_id, accessor_of(caller, purpose), CONTACT_FIELDS)
    return _details(client_id, record)


@router.post("/contacts", response_model=ContactDetailsMany)
async def contact_details_many(body: ContactReads, caller: Internal, deps: Deps) -> ContactDetailsMany:
    """For the notifications service only: the contact details of up to 100 clients in one request,
    each read with its own purpose and written to that client's access log, all in one transaction."""
    _only_notifications(caller)
    reads = [(r.client_id, accessor_of(caller, r.purpose)) for r in body.reads]
    found = await views.contact_records(deps.uow(), reads, CONTACT_FIELDS)
    asked = list(dict.fromkeys(r.client_id for r in body.reads))
    return ContactDetailsMany(contacts=[_details(c, found[c]) for c in asked if c in found],
                              not_found=[c for c in asked if c not in found])
