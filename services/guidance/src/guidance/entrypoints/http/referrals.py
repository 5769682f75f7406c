"""Referrals over HTTP: officers refer and cancel; providers answer, start, complete, reject, cancel, and
see only the referrals made to them (another provider's is "not found")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.events.guidance import CancellationReason, LanguageLevel, ReferralOutcome, RejectionReason
from contracts.vocabulary import Code, LanguageCode
from guidance.entrypoints.http.common import (
    CorrelationHeader,
    Done,
    HandlerDeps,
    Officer,
    OfficerOrProvider,
    Provider,
    actor_of,
    context,
    done,
    organisation_of,
)
from guidance.service_layer import referrals

router = APIRouter(tags=["referrals"])

Note = Annotated[str | None, Field(None, max_length=4000, description="Free text, kept encrypted under the "
                                   "client's key and destroyed on erasure; never on the bus.")]


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: UUID
    service_code: Code
    language: LanguageCode
    plan_id: UUID | None = None
    note: Note = None


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_on: date | None = Field(None, description="The start to take the person to (one of the service's "
                                                     "starts; the first day for continuous admission).")


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    started_on: date | None = None


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: ReferralOutcome
    language_level: LanguageLevel | None = None
    completed_on: date | None = None


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: RejectionReason


class CancellationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: CancellationReason


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_code: Code


@router.post("/referrals", response_model=Done, status_code=201)
async def refer(body: ReferralIn, caller: Officer, deps: HandlerDeps, correlation_id: CorrelationHeader = None) -> Done:
    """Refer a client to a catalogue service, under a plan or directly (guidance is for everyone, R1)."""
    return done(await referrals.make(deps, context(caller, correlation_id), client_id=body.client_id,
                                     service_code=body.service_code, language=body.language, plan_id=body.plan_id,
                                     note=body.note))


@router.get("/referrals")
async def list_referrals(caller: OfficerOrProvider, deps: HandlerDeps, client_id: UUID | None = None,
                         state: Literal["made", "waitlisted", "accepted", "started", "completed", "rejected",
                                        "cancelled"] | None = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    return await referrals.listing(deps, actor_of(caller), client_id=client_id, state=state, limit=limit)


@router.get("/referrals/{referral_id}")
async def get_referral(referral_id: UUID, caller: OfficerOrProvider, deps: HandlerDeps) -> dict:
    return await referrals.get(deps, actor_of(caller), referral_id)


@router.post("/referrals/{referral_id}/acceptance", response_model=Done)
async def accept(referral_id: UUID, body: AcceptanceIn, caller: Provider, deps: HandlerDeps,
                 correlation_id: CorrelationHeader = None) -> Done:
    """The provider takes the person into a start; a full start queues them (waitlisted)."""
    return done(await referrals.answer(deps, context(caller, correlation_id), actor_of(caller), referral_id,
                                       starts_on=body.starts_on))


@router.post("/referrals/{referral_id}/start", response_model=Done)
async def start(referral_id: UUID, body: StartIn, caller: Provider, deps: HandlerDeps,
                correlation_id: CorrelationHeader = None) -> Done:
    return done(await referrals.start(deps, context(caller, correlation_id), actor_of(caller), referral_id,
                                      started_on=body.started_on))


@router.post("/referrals/{referral_id}/completion", response_model=Done)
async def complete(referral_id: UUID, body: CompletionIn, caller: Provider, deps: HandlerDeps,
                   correlation_id: CorrelationHeader = None) -> Done:
    """Integration training records the final language test's level (R22)."""
    return done(await referrals.complete(deps, context(caller, correlation_id), actor_of(caller), referral_id,
                                         outcome=body.outcome, level=body.language_level,
                                         completed_on=body.completed_on))


@router.post("/referrals/{referral_id}/rejection", response_model=Done)
async def reject(referral_id: UUID, body: RejectionIn, caller: Provider, deps: HandlerDeps,
                 correlation_id: CorrelationHeader = None) -> Done:
    return done(await referrals.reject(deps, context(caller, correlation_id), actor_of(caller), referral_id,
                                       reason=body.reason))


@router.post("/referrals/{referral_id}/cancellation", response_model=Done)
async def cancel(referral_id: UUID, body: CancellationIn, caller: OfficerOrProvider, deps: HandlerDeps,
                 correlation_id: CorrelationHeader = None) -> Done:
    return done(await referrals.cancel(deps, context(caller, correlation_id), actor_of(caller), referral_id,
                                       reason=body.reason))


@router.post("/clients/{client_id}/study-agreements", response_model=Done, status_code=201)
async def agree(client_id: UUID, body: AgreementIn, caller: Officer, deps: HandlerDeps,
                correlation_id: CorrelationHeader = None) -> Done:
    """The employment region agrees that a registered jobseeker may start voluntary studies (programme §4.5)."""
    organisation_of(caller)
    return done(await referrals.agree_studies(deps, context(caller, correlation_id), client_id=client_id,
                                              service_code=body.service_code))
