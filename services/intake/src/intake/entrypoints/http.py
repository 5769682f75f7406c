"""The HTTP API: turns requests into commands and queries, and results into responses."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contracts.vocabulary import Organisation
from intake.domain.model import InvalidRegistration, PersonalDetails
from intake.entrypoints.dependencies import Services, services
from intake.entrypoints.schemas import ClientCount, ClientRegistration, RegistrationAccepted, StreamEntryOut
from intake.service_layer import handlers, views
from intake.service_layer.commands import RegisterClient

router = APIRouter(prefix="/clients", tags=["clients"])

OrganisationHeader = Annotated[Organisation, Header(
    alias="X-Organisation",
    description="The organisation registering the person, recorded as the event's organisation. A declaration "
                "taken on trust, not authentication: authenticating callers comes with the full intake rules.")]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; a new one is made when absent.")]


@router.post("", status_code=201, response_model=RegistrationAccepted)
async def register_client(body: ClientRegistration, deps: Annotated[Services, Depends(services)],
                          organisation: OrganisationHeader = Organisation.RASEBORG,
                          correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """Register a person: stores them in intake's vault and publishes `ClientRegistered` (no personal data)."""
    personal = PersonalDetails(body.name, body.date_of_birth, body.email, body.phone)
    cmd = RegisterClient(personal=personal, home_municipality=body.home_municipality,
                         languages=tuple(body.languages), target_groups=tuple(body.target_groups),
                         residence_permit_date=body.residence_permit_date, source=body.source,
                         organisation=organisation, correlation_id=correlation_id or uuid4())
    done = await handlers.register_client(cmd, deps.uow(), deps.clock)
    return RegistrationAccepted(client_id=done.client_id, event_id=done.event_id, correlation_id=done.correlation_id)


@router.get("/count", response_model=ClientCount)
async def count_clients(deps: Annotated[Services, Depends(services)]) -> ClientCount:
    return ClientCount(clients=await views.client_count(deps.uow()))


@router.get("/{client_id}/events", response_model=list[StreamEntryOut])
async def client_events(client_id: UUID, deps: Annotated[Services, Depends(services)]) -> list[StreamEntryOut]:
    """The client's event stream for operators: types and versions, without payloads."""
    entries = await views.client_events(deps.uow(), client_id)
    if not entries:
        raise HTTPException(404, "no such client")
    return [StreamEntryOut(**vars(e)) for e in entries]


def install_error_handlers(app: FastAPI) -> None:
    """422s name the field and the problem but never echo the value: it may be personal data."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(InvalidRegistration, _invalid_registration)


async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _invalid_registration(_: Request, exc: InvalidRegistration) -> JSONResponse:
    error = {"loc": ["body", exc.field], "msg": exc.reason, "type": "invalid_registration"}
    return JSONResponse({"detail": [error]}, status_code=422)
