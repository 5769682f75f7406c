"""Changes to a client: jobseeker status, a move or a claim, corrections of personal data (direct, or
proposed by another sender), the end of the relationship.

Who may change who owns a client: the organisation responsible today records a move; the receiving
municipality may only claim (it takes effect on acceptance or after the objection period); the
employment region's jobseeker registration is authoritative (R5) and takes effect at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from pydantic import ValidationError

from contracts.errors import describe
from contracts.ingress import PersonalData
from contracts.vocabulary import Organisation
from intake.adapters.postgres import PostgresUnitOfWork
from intake.domain.client import Client
from intake.domain.errors import NotFound, PreconditionFailed, Refused
from intake.domain.sources import MUNICIPAL
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, check_owner, on_client

log = structlog.get_logger()


async def change_jobseeker_status(cmd: commands.ChangeJobseekerStatus, deps: Deps,
                                  uow: PostgresUnitOfWork | None = None) -> Outcome:
    """R5: the employment region ends or restores its own jobseeker registration; responsibility follows
    at once. Making someone a jobseeker who never was takes a jobseeker registration (the domain says so)."""
    if cmd.sender != Organisation.EMPLOYMENT_REGION:
        raise Refused("ownership.jobseeker_status", "only the employment region changes jobseeker status")

    async def locate(u: PostgresUnitOfWork):
        if cmd.client_id is None and cmd.identity_code is not None:
            return await u.vault.find_by_identity_code(cmd.identity_code)
        return cmd.client_id

    async def change(_: PostgresUnitOfWork, client: Client) -> None:
        client.change_jobseeker_status(cmd.registered, on=cmd.on, today=deps.clock.today(), policy=deps.policy)

    return await on_client(cmd, deps, change, locate=locate, uow=uow)


async def change_home_municipality(cmd: commands.ChangeHomeMunicipality, deps: Deps) -> Outcome:
    """A move, recorded by the organisation responsible today; responsibility follows (R5). Anyone else
    (the receiving municipality) claims instead."""
    async def change(uow: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "record a move (the receiving municipality may claim the client)")
        client.move(cmd.municipality, on=cmd.on, today=deps.clock.today(), policy=deps.policy)
        record = await uow.vault.load(client.id)
        if record is not None:  # the similarity key includes the municipality
            await uow.vault.store(client.id, record, client.home_municipality)

    return await on_client(cmd, deps, change)


async def claim_responsibility(cmd: commands.ClaimResponsibility, deps: Deps) -> Outcome:
    """The receiving municipality claims a client who moved there; nothing moves until the responsible
    organisation accepts or the objection period ends, and the claimant reads no personal data."""
    if cmd.sender not in MUNICIPAL:
        raise Refused("ownership.claim", "only a municipality's services claim a client who moved there")
    details: dict[str, Any] = {}

    async def change(_: PostgresUnitOfWork, client: Client) -> None:
        claim = client.claim(cmd.sender, cmd.municipality, claim_id=cmd.claim_id, moved_on=cmd.on,
                             today=deps.clock.today(), policy=deps.policy)
        details.update(claim_id=claim.claim_id, objection_deadline=claim.deadline)

    outcome = await on_client(cmd, deps, change)
    return replace(outcome, details=details)


async def decide_claim(cmd: commands.DecideClaim, deps: Deps) -> Outcome:
    """The responsible organisation accepts a claim (the move and handover follow) or objects to it."""
    async def change(_: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "decide a claim on the client")
        if cmd.accept:
            client.accept_claim(cmd.claim_id, by="responsible_organisation", today=deps.clock.today(),
                                policy=deps.policy)
        else:
            client.object_to_claim(cmd.claim_id, cmd.reason or "other")

    return await on_client(cmd, deps, change)


async def accept_unopposed_claims(deps: Deps) -> int:
    """Claims whose objection period ended without an objection take effect; returns how many."""
    today = deps.clock.today()
    async with deps.uow() as uow:
        due = await uow.clients.claims_past_deadline(today)
    accepted = 0
    for client_id, claim_id in due:
        async def change(_: PostgresUnitOfWork, client: Client, claim_id=claim_id) -> None:
            client.accept_claim(claim_id, by="deadline", today=today, policy=deps.policy)

        try:
            await on_client(commands.ClientCommand(sender=None, client_id=client_id), deps, change)
            accepted += 1
        except (Refused, NotFound) as exc:  # decided or gone meanwhile: the others still take effect
            log.info("unopposed claim not applied", client_id=str(client_id), error=type(exc).__name__)
    if accepted:
        log.info("unopposed claims took effect", count=accepted)
    return accepted


async def apply_changes(uow: PostgresUnitOfWork, client: Client, changes: dict) -> None:
    """Correct or complete the vault record with `changes` (field to value); a change of languages is
    published. An identity code, once recorded, stays; one held by another client is refused."""
    record = await uow.vault.load(client.id)
    if record is None:
        raise NotFound("client")
    code = changes.get("identity_code")
    if code is not None and record.person.identity_code not in (None, code):
        raise Refused("vault.identity_code", "an identity code, once recorded, is not replaced; resolve "
                                             "a wrong one as a duplicate")
    if code is not None and await uow.vault.find_by_identity_code(code) not in (None, client.id):
        raise Refused("duplicates.identity_code", "another client has this identity code: the person is "
                                                  "already a client; flag and merge instead")
    try:
        person = PersonalData.model_validate({**record.person.model_dump(), **changes})
    except ValidationError as exc:
        raise Refused("input.personal_data", describe(exc)) from None
    client.change_languages(person.languages)
    await uow.vault.store(client.id, replace(record, person=person), client.home_municipality)


async def update_personal_data(cmd: commands.UpdatePersonalData, deps: Deps) -> Outcome:
    """The responsible organisation corrects or completes the vault record, based on the revision it
    read (`expected_revision`): an edit of a record changed since is refused, never lost."""
    revision: dict[str, int] = {}

    async def change(uow: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "change the person's data")
        current = await uow.vault.revision(client.id, lock=True)
        if current is None:
            raise NotFound("client")
        if cmd.expected_revision is not None and current != cmd.expected_revision:
            raise PreconditionFailed("the person's data changed since it was read")
        await apply_changes(uow, client, cmd.changes)
        revision["revision"] = await uow.vault.revision(client.id)

    outcome = await on_client(cmd, deps, change)
    return replace(outcome, details=revision)


async def decide_proposed_change(cmd: commands.DecideProposedChange, deps: Deps) -> Outcome:
    """The responsible organisation accepts (the values go into the record) or rejects a proposed change."""
    async def change(uow: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "decide a proposed change of the person's data")
        found = await uow.vault.proposals(client.id, change_id=cmd.change_id, lock=True)
        if not found:
            raise NotFound("proposed change")
        if cmd.accept:
            await apply_changes(uow, client, found[0].values)
        await uow.vault.decide(cmd.change_id, "accepted" if cmd.accept else "rejected", f"{cmd.sender}/{cmd.actor}",
                               deps.clock.now())

    return await on_client(cmd, deps, change)


async def end_relationship(cmd: commands.EndRelationship, deps: Deps) -> Outcome:
    async def change(_: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "end the client relationship")
        client.end_relationship(ended_on=cmd.ended_on, reason=cmd.reason, today=deps.clock.today(),
                                policy=deps.policy)

    return await on_client(cmd, deps, change)
