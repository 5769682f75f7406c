"""The HTTP API: authenticates the caller, turns requests into commands and queries, results into responses.

Every route but the public contact form and the ingress key needs a credential (`backbone.auth`):
the caller's organisation is the credential's principal, never a header or a field. Who may do what
is decided below (the service layer checks ownership of sources and clients again).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from backbone.auth import Caller, authenticated
from contracts import sealing
from contracts.ingress import PersonalData
from contracts.vocabulary import Organisation
from intake.adapters.vault import Accessor
from intake.domain.errors import NotFound, Refused
from intake.entrypoints import public
from intake.entrypoints.dependencies import Services, services
from intake.entrypoints.schemas import (
    AccessLogEntry,
    AuthorityContactRequest,
    ClientCount,
    ClientSummary,
    ContactDetails,
    Done,
    DuplicateFlag,
    DuplicateResolutionBody,
    ErasureBody,
    HomeMunicipalityBody,
    IngressKey,
    JobseekerRegistrationRequest,
    JobseekerStatusBody,
    KelaNotificationRequest,
    NewcomerNoticeRequest,
    OwnRequestForm,
    PersonalDataChanges,
    RefugeePlacementRequest,
    RegistrationAccepted,
    RelationshipEndBody,
    RequestReceived,
    StreamEntryOut,
)
from intake.service_layer import commands, handlers, views

Deps = Annotated[Services, Depends(services)]
Registrar = Annotated[Caller, Depends(authenticated("officer", "system"))]
Officer = Annotated[Caller, Depends(authenticated("officer"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator"))]
Internal = Annotated[Caller, Depends(authenticated("service"))]
CorrelationHeader = Annotated[UUID | None, Header(alias="X-Correlation-Id", description="Joins this request's "
                                                  "events to a wider flow; a new one is made when absent.")]
PurposeHeader = Annotated[str, Header(alias="X-Purpose", pattern=r"^[a-z][a-z0-9_]{2,63}$",
                                      description="Why personal data is read (e.g. `welcome_letter`); "
                                                  "written to the client's access log.")]

registrations = APIRouter(prefix="/registrations", tags=["registrations"])
clients = APIRouter(prefix="/clients", tags=["clients"])
duplicates = APIRouter(prefix="/duplicates", tags=["duplicates"])
internal = APIRouter(prefix="/internal", tags=["internal"])
open_routes = APIRouter(tags=["public"])

NOTIFICATIONS = "notifications"
CONTACT_FIELDS = ("name", "email", "phone", "address", "languages", "interpreter_needed")
ALL_FIELDS = tuple(PersonalData.model_fields)


def _organisation(caller: Caller) -> Organisation:
    try:
        return Organisation(caller.principal)
    except ValueError:
        raise HTTPException(403, f"{caller.principal} is not an organisation") from None


async def _register(body, caller: Caller, deps: Services, correlation_id: UUID | None) -> RegistrationAccepted:
    registration = type(body).__base__.model_validate(body.model_dump(exclude={"person"}))
    person = PersonalData.model_validate(body.person.model_dump())
    cmd = commands.Register(sender=_organisation(caller), actor=caller.actor, registration=registration,
                            person=person, correlation_id=correlation_id or uuid4())
    done = await handlers.register(cmd, deps.handler_deps)
    return RegistrationAccepted(client_id=done.client_id, created=done.created,
                                possible_duplicates=list(done.possible_duplicates), event_ids=list(done.event_ids),
                                correlation_id=done.correlation_id)


@registrations.post("/jobseeker", status_code=201, response_model=RegistrationAccepted)
async def register_jobseeker(body: JobseekerRegistrationRequest, caller: Registrar, deps: Deps,
                             correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """The employment region registered a jobseeker (R5, R9: initial interview within 5 working days)."""
    return await _register(body, caller, deps, correlation_id)


@registrations.post("/kela-notification", status_code=201, response_model=RegistrationAccepted)
async def register_kela_notification(body: KelaNotificationRequest, caller: Registrar, deps: Deps,
                                     correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """Kela's notification of non-temporary social assistance or home care allowance (R30)."""
    return await _register(body, caller, deps, correlation_id)


@registrations.post("/refugee-placement", status_code=201, response_model=RegistrationAccepted)
async def register_refugee_placement(body: RefugeePlacementRequest, caller: Registrar, deps: Deps,
                                     correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """The municipality of residence received a quota refugee, a person with protection or a family member."""
    return await _register(body, caller, deps, correlation_id)


@registrations.post("/newcomer-notice", status_code=201, response_model=RegistrationAccepted)
async def register_newcomer_notice(body: NewcomerNoticeRequest, caller: Registrar, deps: Deps,
                                   correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """A municipality's new resident with a foreign native language (guidance, the welcome letter: R1)."""
    return await _register(body, caller, deps, correlation_id)


@registrations.post("/authority-contact", status_code=201, response_model=RegistrationAccepted)
async def register_authority_contact(body: AuthorityContactRequest, caller: Registrar, deps: Deps,
                                     correlation_id: CorrelationHeader = None) -> RegistrationAccepted:
    """An authority's contact about a person in the window, with the person's consent (R7)."""
    return await _register(body, caller, deps, correlation_id)


def _rate_limited(request: Request, deps: Deps) -> None:
    """Counted before the body is read, so invalid requests count too."""
    deps.rate_limit.check(request)


@open_routes.post("/public/contact-requests", status_code=202, response_model=RequestReceived,
                  dependencies=[Depends(_rate_limited)])
async def contact_request(body: OwnRequestForm, request: Request, deps: Deps) -> RequestReceived:
    """The person's own request for guidance or an assessment. No credential; limited per address.

    The answer is the same whether or not the person was already a client, so the form cannot be
    used to find out who is one.
    """
    registration = OwnRequestForm.__base__.model_validate(body.model_dump(exclude={"person"}))
    cmd = commands.Register(sender=None, actor="public", registration=registration,
                            person=PersonalData.model_validate(body.person.model_dump()))
    await handlers.register(cmd, deps.handler_deps)
    language = public.language_of(request)
    return RequestReceived(reference=cmd.correlation_id, message=public.ACKNOWLEDGEMENTS[language], language=language)


@open_routes.get("/ingress/public-key", response_model=IngressKey)
async def ingress_public_key(deps: Deps) -> IngressKey:
    """The key organisations seal personal data to before putting it on their ingress topic."""
    key = sealing.public_key(deps.ingress_private_keys[0])
    return IngressKey(key_id=sealing.key_id(key), public_key=key,
                      algorithm="X25519 + HKDF-SHA256 + AES-256-GCM (contracts.sealing, v1)",
                      context="ingress:<message_id>")


# --- clients ------------------------------------------------------------------------------------

async def _summary_for(caller: Caller, deps: Services, client_id: UUID) -> dict:
    summary = await views.client_summary(deps.uow(), client_id)
    if caller.role != "operator" and caller.principal != summary["responsible_organisation"]:
        raise HTTPException(403, {"rule": "ownership.client",
                                  "msg": "only the responsible organisation and operators see the client"})
    return summary


@clients.get("/count", response_model=ClientCount)
async def count_clients(caller: Reader, deps: Deps) -> ClientCount:
    return ClientCount(clients=await views.client_count(deps.uow()))


@clients.get("/{client_id}", response_model=ClientSummary)
async def client_summary(client_id: UUID, caller: Reader, deps: Deps) -> ClientSummary:
    """Codes, dates and ids: no personal data."""
    return ClientSummary(**await _summary_for(caller, deps, client_id))


@clients.get("/{client_id}/events", response_model=list[StreamEntryOut])
async def client_events(client_id: UUID, caller: Reader, deps: Deps) -> list[StreamEntryOut]:
    """The client's event stream: types and versions, without payloads."""
    await _summary_for(caller, deps, client_id)
    return [StreamEntryOut(**vars(e)) for e in await views.client_events(deps.uow(), client_id)]


@clients.get("/{client_id}/personal-data", response_model=PersonalData)
async def client_personal_data(client_id: UUID, caller: Officer, deps: Deps, purpose: PurposeHeader) -> PersonalData:
    """The person's data from the vault, for an officer of the responsible organisation; logged."""
    await _summary_for(caller, deps, client_id)
    record = await views.personal_data(deps.uow(), client_id, _accessor(caller, purpose), ALL_FIELDS)
    return record.person


@clients.patch("/{client_id}/personal-data", response_model=Done)
async def change_personal_data(client_id: UUID, body: PersonalDataChanges, caller: Officer, deps: Deps,
                               correlation_id: CorrelationHeader = None) -> Done:
    """Correct or complete the person's data (responsible organisation's officers). Only a change of
    languages is published (`ClientDetailsChanged`); the rest stays in the vault."""
    changes = body.changes()
    if not changes:
        raise HTTPException(422, [{"loc": ["body"], "type": "value_error", "msg": "name at least one field to change"}])
    cmd = commands.UpdatePersonalData(sender=_organisation(caller), actor=caller.actor, client_id=client_id,
                                      changes=changes, correlation_id=correlation_id or uuid4())
    return _done(await handlers.update_personal_data(cmd, deps.handler_deps))


@clients.get("/{client_id}/access-log", response_model=list[AccessLogEntry])
async def client_access_log(client_id: UUID, caller: Officer, deps: Deps) -> list[AccessLogEntry]:
    """Who read the person's data, when and why (newest first)."""
    await _summary_for(caller, deps, client_id)
    return [AccessLogEntry(**row) for row in await views.access_log(deps.uow(), client_id)]


@clients.post("/{client_id}/jobseeker-status", response_model=Done)
async def jobseeker_status(client_id: UUID, body: JobseekerStatusBody, caller: Registrar, deps: Deps,
                           correlation_id: CorrelationHeader = None) -> Done:
    """The employment region registers or ends the person's jobseeker status; responsibility follows (R5)."""
    cmd = commands.ChangeJobseekerStatus(sender=_organisation(caller), actor=caller.actor, client_id=client_id,
                                         registered=body.registered, on=body.on,
                                         correlation_id=correlation_id or uuid4())
    return _done(await handlers.change_jobseeker_status(cmd, deps.handler_deps))


@clients.post("/{client_id}/home-municipality", response_model=Done)
async def home_municipality(client_id: UUID, body: HomeMunicipalityBody, caller: Registrar, deps: Deps,
                            correlation_id: CorrelationHeader = None) -> Done:
    """The person moved within the region; responsibility follows the new municipality's agreements (R5)."""
    cmd = commands.ChangeHomeMunicipality(sender=_organisation(caller), actor=caller.actor, client_id=client_id,
                                          municipality=body.home_municipality, on=body.on,
                                          correlation_id=correlation_id or uuid4())
    return _done(await handlers.change_home_municipality(cmd, deps.handler_deps))


@clients.post("/{client_id}/relationship-end", response_model=Done)
async def relationship_end(client_id: UUID, body: RelationshipEndBody, caller: Officer, deps: Deps,
                           correlation_id: CorrelationHeader = None) -> Done:
    """The client relationship ended; the person's data is erased 4 years later (R29)."""
    cmd = commands.EndRelationship(sender=_organisation(caller), actor=caller.actor, client_id=client_id,
                                   ended_on=body.ended_on, reason=body.reason, correlation_id=correlation_id or uuid4())
    return _done(await handlers.end_relationship(cmd, deps.handler_deps))


@clients.post("/{client_id}/erasure", response_model=Done)
async def erasure(client_id: UUID, body: ErasureBody, caller: Officer, deps: Deps,
                  correlation_id: CorrelationHeader = None) -> Done:
    """Erase the person's data on their request: the data key is destroyed and `ClientErased` published."""
    cmd = commands.Erase(sender=_organisation(caller), actor=caller.actor, client_id=client_id, basis=body.basis,
                         correlation_id=correlation_id or uuid4())
    return _done(await handlers.erase(cmd, deps.handler_deps))


# --- duplicates ---------------------------------------------------------------------------------

@duplicates.get("", response_model=list[DuplicateFlag])
async def open_duplicates(caller: Reader, deps: Deps) -> list[DuplicateFlag]:
    """Open possible duplicates involving the caller's clients (all of them for operators)."""
    organisation = None if caller.role == "operator" else caller.principal
    return [DuplicateFlag(**row) for row in await views.open_duplicates(deps.uow(), organisation)]


@duplicates.post("/resolution", response_model=Done)
async def resolve_duplicate(body: DuplicateResolutionBody, caller: Officer, deps: Deps,
                            correlation_id: CorrelationHeader = None) -> Done:
    """An officer decides a flagged pair: the same person (merged into the survivor) or not."""
    if (body.resolution == "merged") != (body.surviving_client_id is not None):
        raise HTTPException(422, [{"loc": ["body", "surviving_client_id"], "type": "value_error",
                                   "msg": "required when merged, and only then"}])
    cmd = commands.ResolveDuplicate(sender=_organisation(caller), actor=caller.actor, client_id=body.client_id,
                                    other_client_id=body.other_client_id, resolution=body.resolution,
                                    surviving_client_id=body.surviving_client_id,
                                    correlation_id=correlation_id or uuid4())
    return _done(await handlers.resolve_duplicate(cmd, deps.handler_deps))


# --- internal -----------------------------------------------------------------------------------

@internal.get("/clients/{client_id}/contact", response_model=ContactDetails)
async def contact_details(client_id: UUID, caller: Internal, deps: Deps, purpose: PurposeHeader) -> ContactDetails:
    """For the notifications service only: how to reach the person, and in which language. Logged."""
    if caller.principal != NOTIFICATIONS:
        raise HTTPException(403, {"rule": "ownership.vault", "msg": "only notifications reads contact details"})
    record = await views.personal_data(deps.uow(), client_id, _accessor(caller, purpose), CONTACT_FIELDS)
    p = record.person
    return ContactDetails(client_id=client_id, name=p.name, email=p.email, phone=p.phone,
                          address=p.address.model_dump() if p.address else None, languages=list(p.languages),
                          interpreter_needed=p.interpreter_needed)


def _accessor(caller: Caller, purpose: str) -> Accessor:
    return Accessor(caller.principal, caller.role, caller.key_id, purpose)


def _done(outcome: handlers.Outcome) -> Done:
    return Done(client_id=outcome.client_id, event_ids=list(outcome.event_ids), correlation_id=outcome.correlation_id)


def install(app: FastAPI) -> None:
    for router in (registrations, clients, duplicates, internal, open_routes):
        app.include_router(router)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422s name the field and the problem but never echo the value: it may be personal data."""
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    body = {"detail": jsonable_encoder(errors)}
    if request.url.path.startswith("/public/"):
        language = public.language_of(request)
        body |= {"message": public.CHECK_FIELDS[language], "language": language}
    return JSONResponse(body, status_code=422)


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    status = 403 if exc.rule.startswith("ownership.") else 409 if exc.rule.startswith("duplicates.") else 422
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                        status_code=status)


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)
