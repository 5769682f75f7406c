"""Registering a client: a new one, or another source for the person already known by identity code."""

from __future__ import annotations

from datetime import date

import structlog

from contracts.ingress import AuthorityContact, PersonalData
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import Consent, VaultRecord
from intake.domain import sources
from intake.domain.client import Client, years_later
from intake.domain.errors import Refused
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, _active, _save, retrying

log = structlog.get_logger()


def under_23(person: PersonalData, today: date) -> bool:
    return today < years_later(person.date_of_birth, 23)


async def register(cmd: commands.Register, deps: Deps, uow: PostgresUnitOfWork | None = None) -> Outcome:
    """A new client, or another source for a client with the same identity code (one person, one client).

    Without an identity code match, clients with the same name, birth date and municipality are
    flagged as possible duplicates for an officer; they are never merged here.
    """
    sources.check_sender(cmd.registration, cmd.sender)
    return await retrying(lambda: _register(cmd, deps, uow or deps.uow()))


async def _register(cmd: commands.Register, deps: Deps, uow: PostgresUnitOfWork) -> Outcome:
    today, now = deps.clock.today(), deps.clock.now()
    person, registration = cmd.person, cmd.registration
    if person.date_of_birth > today:
        raise Refused("input.date_of_birth", "date_of_birth must not be in the future")
    young = under_23(person, today)
    async with uow:
        existing = None
        if person.identity_code is not None:
            found = await uow.vault.find_by_identity_code(person.identity_code)
            existing = await _active(uow, found) if found is not None else None
        if existing is not None:
            client, created, flagged = existing, False, ()
            client.add_source(registration, under_23=young, today=today, policy=deps.policy)
            client.change_languages([*client.languages, *person.languages])
            before = await uow.vault.load(client.id)
            await uow.vault.store(client.id, _updated_record(before, cmd, today), client.home_municipality)
        else:
            client = Client.register(cmd.client_id, registration, languages=person.languages, under_23=young,
                                     today=today, policy=deps.policy)
            created = True
            flagged = tuple(await uow.vault.find_similar(person, registration.home_municipality))
            for other in flagged:
                client.flag_possible_duplicate(other, "name_and_birth_date")
                await uow.duplicates.flag(client.id, other, "name_and_birth_date", now=now)
            await uow.vault.store(client.id, _updated_record(None, cmd, today), registration.home_municipality)
        event_ids = await _save(uow, client, cmd, deps)
        await uow.commit()
    log.info("registration applied", client_id=str(client.id), created=created, source=registration.source,
             sender=cmd.sender, possible_duplicates=len(flagged), correlation_id=str(cmd.correlation_id))
    return Outcome(client.id, event_ids, cmd.correlation_id, created, flagged)


def _updated_record(before: VaultRecord | None, cmd: commands.Register, today: date) -> VaultRecord:
    """The vault record after this registration: newer contact details win, nothing known is lost,
    and the earliest permit date is kept (the window runs from the *first* permit)."""
    new, registration = cmd.person, cmd.registration
    consents: tuple[Consent, ...] = ()
    if isinstance(registration, AuthorityContact) and registration.consent_given_on is not None:
        consents = (Consent(str(cmd.sender), registration.consent_given_on),)
    if before is None:
        return VaultRecord(new, registration.first_permit_date, registration.moved_to_finland_on, consents)
    old = before.person
    person = old.model_copy(update={
        "name": new.name,
        "identity_code": old.identity_code or new.identity_code,
        "address": new.address or old.address,
        "phone": new.phone or old.phone,
        "email": new.email or old.email,
        "languages": list(dict.fromkeys([*old.languages, *new.languages])),
        "interpreter_needed": old.interpreter_needed or new.interpreter_needed,
    })
    return VaultRecord(PersonalData.model_validate(person.model_dump()),
                       min(before.first_permit_date, registration.first_permit_date),
                       before.moved_to_finland_on or registration.moved_to_finland_on, before.consents + consents)
