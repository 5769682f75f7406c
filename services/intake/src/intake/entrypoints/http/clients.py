"""A client's summary, events, personal data and access log, and the changes made through the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Query, Response

from backbone.auth import Caller
from contracts.ingress import PersonalData
from contracts.vocabulary import ClientState
from intake.entrypoints.dependencies import Services
from intake.entrypoints.http.common import (
    CONFLICT,
    STALE,
    CorrelationHeader,
    Deps,
    IfMatchHeader,
    Officer,
    PurposeHeader,
    Reader,
    Registrar,
    accessor_of,
    answer,
    etag,
    organisation_of,
    revision_of,
)
from intake.entrypoints.schemas import (
    AccessLogEntry,
    ClaimBody,
    ClaimMade,
    ClaimObjectionBody,
    ClientCount,
    ClientSummary,
    Done,
    ErasureBody,
    HomeMunicipalityBody,
    JobseekerStatusBody,
    PersonalDataChanges,
    PersonalDataSaved,
    ProposedChangeOut,
    RelationshipEndBody,
    StreamEntryOut,
)
from intake.service_layer import commands, handlers, views

router = APIRouter(prefix="/clients", tags=["clients"])

ALL_FIELDS = tuple(PersonalData.model_fields)


async def _summary_for(caller: Caller, deps: Services, client_id: UUID, *, luvn_may: bool = True) -> dict:
    """The summary, for operators, the responsible organisation and, where it takes part (R6), LUVN."""
    summary = await views.client_summary(deps.uow(), client_id)
    luvn = luvn_may and caller.principal == "luvn" and summary["luvn_participation_required"]
    if caller.role != "operator" and caller.principal != summary["responsible_organisation"] and not luvn:
        raise HTTPException(403, {"rule": "ownership.client",
                                  "msg": "only the responsible organisation, LUVN where it takes part, and "
                                         "operators see the client"})
    return summary


@router.get("", response_model=list[ClientSummary])
async def list_clients(caller: Reader, deps: Deps, state: ClientState | None = None,
                       due_by: Annotated[date | None, Query(description="Assessment due on or before")] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100,
                       after: Annotated[UUID | None, Query(description="The last client_id of the previous page")]
                       = None) -> list[ClientSummary]:
    """The caller's worklist: its active clients (LUVN: those it takes part for; operators: all), soonest
    assessment due first. Codes, dates and ids only."""
    organisation = None if caller.role == "operator" else caller.principal
    rows = await views.worklist(deps.uow(), organisation, state=state, due_by=due_by, limit=limit, after=after)
    return [ClientSummary(**row) for row in rows]


@router.get("/count", response_model=ClientCount)
async def count_clients(caller: Reader, deps: Deps) -> ClientCount:
    """How many active clients the caller has (its worklist's length; operators: every client)."""
    organisation = None if caller.role == "operator" else caller.principal
    return ClientCount(clients=await views.client_count(deps.uow(), organisation))


@router.get("/{client_id}", response_model=ClientSummary)
async def client_summary(client_id: UUID, caller: Reader, deps: Deps) -> ClientSummary:
    """Codes, dates and ids: no personal data."""
    return ClientSummary(**await _summary_for(caller, deps, client_id))


@router.get("/{client_id}/events", response_model=list[StreamEntryOut])
async def client_events(client_id: UUID, caller: Reader, deps: Deps) -> list[StreamEntryOut]:
    """The client's event stream: types and versions, without payloads."""
    await _summary_for(caller, deps, client_id)
    return [StreamEntryOut(**vars(e)) for e in await views.client_events(deps.uow(), client_id)]


@router.get("/{client_id}/personal-data", response_model=PersonalData)
async def client_personal_data(client_id: UUID, caller: Officer, deps: Deps, purpose: PurposeHeader,
                               response: Response) -> PersonalData:
    """The person's data from the vault, for an officer of the responsible organisation; logged. The
    ETag names the record's revision: send it back in If-Match to change the data."""
    await _summary_for(caller, deps, client_id, luvn_may=False)
    record, revision = await views.personal_data_and_revision(deps.uow(), client_id, accessor_of(caller, purpose),
                                                              ALL_FIELDS)
    response.headers["ETag"] = etag(revision)
    return record.person


@router.patch("/{client_id}/personal-data", response_model=PersonalDataSaved, responses=STALE)
async def change_personal_data(client_id: UUID, body: PersonalDataChanges, caller: Officer, deps: Deps,
                               response: Response, if_match: IfMatchHeader = None,
                               correlation_id: CorrelationHeader = None) -> PersonalDataSaved:
    """Correct or complete the person's data (responsible organisation's officers), based on the revision
    read: If-Match with the ETag of GET is required (428 without it, 412 when the data changed since).
    Only a change of languages is published (`ClientDetailsChanged`); the rest stays in the vault."""
    changes = body.changes()
    if not changes:
        raise HTTPException(422, [{"loc": ["body"], "type": "value_error", "msg": "name at least one field to change"}])
    if if_match is None:
        raise HTTPException(428, [{"loc": ["header", "If-Match"], "type": "missing",
                                   "msg": "send the ETag of GET /clients/{id}/personal-data in If-Match"}])
    cmd = commands.UpdatePersonalData(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                      changes=changes, expected_revision=revision_of(if_match),
                                      correlation_id=correlation_id or uuid4())
    done = await handlers.update_personal_data(cmd, deps.handler_deps)
    response.headers["ETag"] = etag(done.details["revision"])
    return PersonalDataSaved(**answer(done).model_dump(), revision=done.details["revision"])


@router.get("/{client_id}/proposed-changes", response_model=list[ProposedChangeOut])
async def proposed_changes(client_id: UUID, caller: Officer, deps: Deps,
                           purpose: PurposeHeader) -> list[ProposedChangeOut]:
    """Personal data others sent for the person that differs from the record (the public form, another
    organisation's registration): nothing of it is used until an officer accepts it. The read is logged."""
    await _summary_for(caller, deps, client_id, luvn_may=False)
    found = await views.proposed_changes(deps.uow(), client_id, accessor_of(caller, purpose))
    return [ProposedChangeOut(change_id=p.change_id, proposed_by=p.proposed_by, source=p.source,
                              proposed_at=p.proposed_at, values=p.values) for p in found]


@router.post("/{client_id}/proposed-changes/{change_id}/acceptance", response_model=Done)
async def accept_proposed_change(client_id: UUID, change_id: UUID, caller: Officer, deps: Deps,
                                 correlation_id: CorrelationHeader = None) -> Done:
    """The proposed values go into the record (responsible organisation's officers)."""
    cmd = commands.DecideProposedChange(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                        change_id=change_id, accept=True, correlation_id=correlation_id or uuid4())
    return answer(await handlers.decide_proposed_change(cmd, deps.handler_deps))


@router.post("/{client_id}/proposed-changes/{change_id}/rejection", response_model=Done)
async def reject_proposed_change(client_id: UUID, change_id: UUID, caller: Officer, deps: Deps,
                                 correlation_id: CorrelationHeader = None) -> Done:
    """The proposed values are dropped; the record stays as it is."""
    cmd = commands.DecideProposedChange(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                        change_id=change_id, accept=False, correlation_id=correlation_id or uuid4())
    return answer(await handlers.decide_proposed_change(cmd, deps.handler_deps))


@router.get("/{client_id}/access-log", response_model=list[AccessLogEntry])
async def client_access_log(client_id: UUID, caller: Officer, deps: Deps) -> list[AccessLogEntry]:
    """Who read the person's data, when and why (newest first)."""
    await _summary_for(caller, deps, client_id, luvn_may=False)
    return [AccessLogEntry(**row) for row in await views.access_log(deps.uow(), client_id)]


@router.post("/{client_id}/jobseeker-status", response_model=Done, responses=CONFLICT)
async def jobseeker_status(client_id: UUID, body: JobseekerStatusBody, caller: Registrar, deps: Deps,
                           correlation_id: CorrelationHeader = None) -> Done:
    """The employment region registers or ends the person's jobseeker status; responsibility follows (R5)."""
    cmd = commands.ChangeJobseekerStatus(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                         registered=body.registered, on=body.on,
                                         correlation_id=correlation_id or uuid4())
    return answer(await handlers.change_jobseeker_status(cmd, deps.handler_deps))


@router.post("/{client_id}/home-municipality", response_model=Done, responses=CONFLICT)
async def home_municipality(client_id: UUID, body: HomeMunicipalityBody, caller: Registrar, deps: Deps,
                            correlation_id: CorrelationHeader = None) -> Done:
    """The person moved within the region, recorded by the organisation responsible today; responsibility
    follows the new municipality's agreements (R5). A move to where the person lives already is 409
    `changed: false`. The receiving municipality claims instead (`POST /clients/{id}/claims`)."""
    cmd = commands.ChangeHomeMunicipality(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                          municipality=body.home_municipality, on=body.on,
                                          correlation_id=correlation_id or uuid4())
    return answer(await handlers.change_home_municipality(cmd, deps.handler_deps))


@router.post("/{client_id}/claims", response_model=ClaimMade, status_code=201, responses=CONFLICT)
async def claim(client_id: UUID, body: ClaimBody, caller: Registrar, deps: Deps,
                correlation_id: CorrelationHeader = None) -> ClaimMade:
    """The receiving municipality claims a client who moved there. It takes effect when the responsible
    organisation accepts, or after the objection period (working days) without an objection; until
    then nothing moves and the claimant reads no personal data."""
    cmd = commands.ClaimResponsibility(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                       municipality=body.home_municipality, on=body.on,
                                       correlation_id=correlation_id or uuid4())
    done = await handlers.claim_responsibility(cmd, deps.handler_deps)
    return ClaimMade(**answer(done).model_dump(), **done.details)


@router.post("/{client_id}/claims/{claim_id}/acceptance", response_model=Done, responses=CONFLICT)
async def accept_claim(client_id: UUID, claim_id: UUID, caller: Officer, deps: Deps,
                       correlation_id: CorrelationHeader = None) -> Done:
    """The responsible organisation accepts a claim: the move and the handover follow at once."""
    cmd = commands.DecideClaim(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                               claim_id=claim_id, accept=True, correlation_id=correlation_id or uuid4())
    return answer(await handlers.decide_claim(cmd, deps.handler_deps))


@router.post("/{client_id}/claims/{claim_id}/objection", response_model=Done, responses=CONFLICT)
async def object_to_claim(client_id: UUID, claim_id: UUID, body: ClaimObjectionBody, caller: Officer, deps: Deps,
                          correlation_id: CorrelationHeader = None) -> Done:
    """The responsible organisation objects to a claim; nothing moves."""
    cmd = commands.DecideClaim(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                               claim_id=claim_id, accept=False, reason=body.reason,
                               correlation_id=correlation_id or uuid4())
    return answer(await handlers.decide_claim(cmd, deps.handler_deps))


@router.post("/{client_id}/relationship-end", response_model=Done, responses=CONFLICT)
async def relationship_end(client_id: UUID, body: RelationshipEndBody, caller: Officer, deps: Deps,
                           correlation_id: CorrelationHeader = None) -> Done:
    """The client relationship ended; the person's data is erased 4 years later (R29)."""
    cmd = commands.EndRelationship(sender=organisation_of(caller), actor=caller.actor, client_id=client_id,
                                   ended_on=body.ended_on, reason=body.reason, correlation_id=correlation_id or uuid4())
    return answer(await handlers.end_relationship(cmd, deps.handler_deps))


@router.post("/{client_id}/erasure", response_model=Done, responses=CONFLICT)
async def erasure(client_id: UUID, body: ErasureBody, caller: Officer, deps: Deps,
                  correlation_id: CorrelationHeader = None) -> Done:
    """Erase the person's data on their request: the data key is destroyed and `ClientErased` published."""
    cmd = commands.Erase(sender=organisation_of(caller), actor=caller.actor, client_id=client_id, basis=body.basis,
                         correlation_id=correlation_id or uuid4())
    return answer(await handlers.erase(cmd, deps.handler_deps))
