"""Changes to a client: jobseeker status, a move, corrections of personal data, the end of the relationship."""

from __future__ import annotations

from dataclasses import replace

from pydantic import ValidationError

from contracts.errors import describe
from contracts.ingress import PersonalData
from contracts.vocabulary import Organisation
from intake.adapters.postgres import PostgresUnitOfWork
from intake.domain.client import Client
from intake.domain.errors import NotFound, Refused
from intake.domain.sources import MUNICIPAL
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, check_owner, on_client


async def change_jobseeker_status(cmd: commands.ChangeJobseekerStatus, deps: Deps,
                                  uow: PostgresUnitOfWork | None = None) -> Outcome:
    """R5: the employment region registers or deregisters a jobseeker; responsibility follows."""
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
    """A move, reported by a municipality or the employment region; responsibility follows (R5)."""
    if cmd.sender not in MUNICIPAL | {Organisation.EMPLOYMENT_REGION}:
        raise Refused("ownership.home_municipality", "moves are reported by the municipalities and the "
                                                     "employment region")

    async def change(uow: PostgresUnitOfWork, client: Client) -> None:
        client.move(cmd.municipality, on=cmd.on, today=deps.clock.today(), policy=deps.policy)
        record = await uow.vault.load(client.id)
        if record is not None:  # the similarity key includes the municipality
            await uow.vault.store(client.id, record, client.home_municipality)

    return await on_client(cmd, deps, change)


async def update_personal_data(cmd: commands.UpdatePersonalData, deps: Deps) -> Outcome:
    """The responsible organisation corrects or completes the vault record; a change of languages is
    published (other services write to the person in them), nothing else is."""
    async def change(uow: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "change the person's data")
        record = await uow.vault.load(client.id)
        if record is None:
            raise NotFound("client")
        code = cmd.changes.get("identity_code")
        if code is not None and record.person.identity_code not in (None, code):
            raise Refused("vault.identity_code", "an identity code, once recorded, is not replaced; resolve "
                                                 "a wrong one as a duplicate")
        if code is not None and await uow.vault.find_by_identity_code(code) not in (None, client.id):
            raise Refused("duplicates.identity_code", "another client has this identity code: the person is "
                                                      "already a client; flag and merge instead")
        try:
            person = PersonalData.model_validate({**record.person.model_dump(), **cmd.changes})
        except ValidationError as exc:
            raise Refused("input.personal_data", describe(exc)) from None
        client.change_languages(person.languages)
        await uow.vault.store(client.id, replace(record, person=person), client.home_municipality)

    return await on_client(cmd, deps, change)


async def end_relationship(cmd: commands.EndRelationship, deps: Deps) -> Outcome:
    async def change(_: PostgresUnitOfWork, client: Client) -> None:
        check_owner(client, cmd.sender, "end the client relationship")
        client.end_relationship(ended_on=cmd.ended_on, reason=cmd.reason, today=deps.clock.today())

    return await on_client(cmd, deps, change)
