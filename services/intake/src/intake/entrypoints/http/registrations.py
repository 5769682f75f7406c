"""Registrations from every source, the person's own contact form and the key to seal ingress data to."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response

from backbone.auth import Caller
from contracts import sealing
from contracts.ingress import PersonalData
from intake.entrypoints import public
from intake.entrypoints.dependencies import Services
from intake.entrypoints.http.common import CorrelationHeader, Deps, IdempotencyHeader, Registrar, organisation_of
from intake.entrypoints.schemas import (
    AuthorityContactRequest,
    IngressKey,
    JobseekerRegistrationRequest,
    KelaNotificationRequest,
    NewcomerNoticeRequest,
    OwnRequestForm,
    RefugeePlacementRequest,
    RegistrationAccepted,
    RequestReceived,
)
from intake.service_layer import commands, handlers

router = APIRouter(prefix="/registrations", tags=["registrations"])
open_routes = APIRouter(tags=["public"])


async def _register(body, caller: Caller, deps: Services, correlation_id: UUID | None, idempotency_key: str | None,
                    response: Response) -> RegistrationAccepted:
    registration = type(body).__base__.model_validate(body.model_dump(exclude={"person"}))
    person = PersonalData.model_validate(body.person.model_dump())
    cmd = commands.Register(sender=organisation_of(caller), actor=caller.actor, registration=registration,
                            person=person, correlation_id=correlation_id or uuid4(), idempotency_key=idempotency_key)
    done = await handlers.register(cmd, deps.handler_deps)
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return RegistrationAccepted(client_id=done.client_id, created=done.created,
                                possible_duplicates=list(done.possible_duplicates), event_ids=list(done.event_ids),
                                correlation_id=done.correlation_id)


@router.post("/jobseeker", status_code=201, response_model=RegistrationAccepted)
async def register_jobseeker(body: JobseekerRegistrationRequest, caller: Registrar, deps: Deps,
                             response: Response, correlation_id: CorrelationHeader = None,
                             idempotency_key: IdempotencyHeader = None) -> RegistrationAccepted:
    """The employment region registered a jobseeker (R5, R9: initial interview within 5 working days)."""
    return await _register(body, caller, deps, correlation_id, idempotency_key, response)


@router.post("/kela-notification", status_code=201, response_model=RegistrationAccepted)
async def register_kela_notification(body: KelaNotificationRequest, caller: Registrar, deps: Deps,
                                     response: Response, correlation_id: CorrelationHeader = None,
                             idempotency_key: IdempotencyHeader = None) -> RegistrationAccepted:
    """Kela's notification of non-temporary social assistance or home care allowance (R30)."""
    return await _register(body, caller, deps, correlation_id, idempotency_key, response)


@router.post("/refugee-placement", status_code=201, response_model=RegistrationAccepted)
async def register_refugee_placement(body: RefugeePlacementRequest, caller: Registrar, deps: Deps,
                                     response: Response, correlation_id: CorrelationHeader = None,
                             idempotency_key: IdempotencyHeader = None) -> RegistrationAccepted:
    """The municipality of residence received a quota refugee, a person with protection or a family member."""
    return await _register(body, caller, deps, correlation_id, idempotency_key, response)


@router.post("/newcomer-notice", status_code=201, response_model=RegistrationAccepted)
async def register_newcomer_notice(body: NewcomerNoticeRequest, caller: Registrar, deps: Deps,
                                   response: Response, correlation_id: CorrelationHeader = None,
                             idempotency_key: IdempotencyHeader = None) -> RegistrationAccepted:
    """A municipality's new resident with a foreign native language (guidance, the welcome letter: R1)."""
    return await _register(body, caller, deps, correlation_id, idempotency_key, response)


@router.post("/authority-contact", status_code=201, response_model=RegistrationAccepted)
async def register_authority_contact(body: AuthorityContactRequest, caller: Registrar, deps: Deps,
                                     response: Response, correlation_id: CorrelationHeader = None,
                             idempotency_key: IdempotencyHeader = None) -> RegistrationAccepted:
    """An authority's contact about a person in the window, with the person's consent (R7)."""
    return await _register(body, caller, deps, correlation_id, idempotency_key, response)


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
                      algorithm="HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM "
                                f"(RFC 9180; contracts.sealing, {sealing.VERSION})",
                      suite=sealing.SUITE_DESCRIPTION,
                      token=f"{sealing.VERSION}.<key_id>.<base64url without padding of enc || ciphertext>",
                      context="ingress:<message_id>")
