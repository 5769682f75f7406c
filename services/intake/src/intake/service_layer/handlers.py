"""Command handlers: load the client, let the domain decide, keep vault and events in one transaction.

Every handler takes the command and `Deps`; a refusal raises `Refused` naming its rule, and nothing
of a refused command is kept. A conflict with a concurrent writer is retried from a fresh load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar
from uuid import UUID

import asyncpg
import structlog
from pydantic import ValidationError

from backbone.errors import ConcurrencyError
from contracts.envelope import Envelope
from contracts.errors import describe
from contracts.ingress import AuthorityContact, PersonalData
from contracts.vocabulary import Municipality, Organisation, Service
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import Consent, VaultRecord
from intake.domain import sources
from intake.domain.client import Client, Policy, years_later
from intake.domain.errors import NotFound, Refused
from intake.domain.responsibility import responsible_organisation
from intake.service_layer import commands
from intake.service_layer.ports import Clock

log = structlog.get_logger()

MUNICIPAL = frozenset({Organisation.RASEBORG, Organisation.HANGO, Organisation.INGA})
ATTEMPTS = 5


@dataclass(frozen=True)
class Deps:
    """A fresh unit of work per use, the clock and the policy."""

    uow: Callable[[], PostgresUnitOfWork]
    clock: Clock
    policy: Policy


@dataclass(frozen=True)
class Outcome:
    """What a command did, in ids only."""

    client_id: UUID
    event_ids: tuple[UUID, ...]
    correlation_id: UUID
    created: bool = False
    possible_duplicates: tuple[UUID, ...] = ()


T = TypeVar("T")


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` again when a concurrent writer got there first (the stream moved on, or the same
    identity code was just registered): the next attempt loads the fresh state."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except (ConcurrencyError, asyncpg.UniqueViolationError):
            if n == ATTEMPTS:
                raise
            log.info("concurrent change, retrying command", attempt=n)
    raise AssertionError("unreachable")


def under_23(person: PersonalData, today: date) -> bool:
    return today < years_later(person.date_of_birth, 23)


def _envelopes(client: Client, cmd: commands.Command, deps: Deps, organisation: Organisation) -> list[Envelope]:
    now = deps.clock.now()
    events, client.pending = client.pending, []
    return [Envelope.wrap(e, producer=Service.INTAKE, organisation=organisation, actor=cmd.actor, client_id=client.id,
                          correlation_id=cmd.correlation_id, causation_id=cmd.causation_id, recorded_at=now)
            for e in events]


async def _save(uow: PostgresUnitOfWork, client: Client, cmd: commands.Command, deps: Deps,
                organisation: Organisation | None = None) -> tuple[UUID, ...]:
    envelopes = _envelopes(client, cmd, deps, organisation or cmd.sender or client.responsible_organisation)
    await uow.clients.save(client, envelopes, now=deps.clock.now())
    return tuple(e.event_id for e in envelopes)


async def _active(uow: PostgresUnitOfWork, client_id: UUID) -> Client:
    client = await uow.clients.get(client_id)
    if client is None or client.erased:
        raise NotFound("client")
    if client.merged_into is not None:
        return await _active(uow, client.merged_into)
    return client


def _check_owner(client: Client, sender: Organisation | None, what: str) -> None:
    if sender != client.responsible_organisation:
        raise Refused("ownership.client", f"only the responsible organisation ({client.responsible_organisation}) "
                                          f"may {what}")


# --- registration --------------------------------------------------------------------------------

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


# --- changes to a client -------------------------------------------------------------------------

async def change_jobseeker_status(cmd: commands.ChangeJobseekerStatus, deps: Deps,
                                  uow: PostgresUnitOfWork | None = None) -> Outcome:
    """R5: the employment region registers or deregisters a jobseeker; responsibility follows."""
    if cmd.sender != Organisation.EMPLOYMENT_REGION:
        raise Refused("ownership.jobseeker_status", "only the employment region changes jobseeker status")

    async def attempt() -> Outcome:
        async with (uow or deps.uow()) as u:
            client_id = cmd.client_id
            if client_id is None and cmd.identity_code is not None:
                client_id = await u.vault.find_by_identity_code(cmd.identity_code)
            if client_id is None:
                raise NotFound("client")
            client = await _active(u, client_id)
            client.change_jobseeker_status(cmd.registered, on=cmd.on, today=deps.clock.today(), policy=deps.policy)
            event_ids = await _save(u, client, cmd, deps)
            await u.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def change_home_municipality(cmd: commands.ChangeHomeMunicipality, deps: Deps) -> Outcome:
    """A move, reported by a municipality or the employment region; responsibility follows (R5)."""
    if cmd.sender not in MUNICIPAL | {Organisation.EMPLOYMENT_REGION}:
        raise Refused("ownership.home_municipality", "moves are reported by the municipalities and the "
                                                     "employment region")

    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            client = await _active(uow, cmd.client_id)
            client.move(cmd.municipality, on=cmd.on, today=deps.clock.today(), policy=deps.policy)
            record = await uow.vault.load(client.id)
            if record is not None:  # the similarity key includes the municipality
                await uow.vault.store(client.id, record, client.home_municipality)
            event_ids = await _save(uow, client, cmd, deps)
            await uow.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def resolve_duplicate(cmd: commands.ResolveDuplicate, deps: Deps) -> Outcome:
    """An officer decides a flagged pair. Merging keeps the survivor, adds what only the other knew,
    and destroys the other's vault entry; both streams record the decision."""
    async def attempt() -> Outcome:
        now = deps.clock.now()
        async with deps.uow() as uow:
            if not await uow.duplicates.is_open(cmd.client_id, cmd.other_client_id):
                raise Refused("duplicates.open", "the two clients are not flagged as possible duplicates")
            first, second = await _active(uow, cmd.client_id), await _active(uow, cmd.other_client_id)
            if cmd.sender not in (first.responsible_organisation, second.responsible_organisation):
                raise Refused("ownership.client", "only an organisation responsible for one of the clients may "
                                                  "resolve the pair")
            first.resolve_duplicate(second.id, cmd.resolution, cmd.surviving_client_id)
            second.resolve_duplicate(first.id, cmd.resolution, cmd.surviving_client_id)
            if cmd.resolution == "merged":
                survivor, merged = (first, second) if cmd.surviving_client_id == first.id else (second, first)
                survivor.absorb(merged)
                kept, gone = await uow.vault.load(survivor.id), await uow.vault.load(merged.id)
                await uow.vault.erase(merged.id)
                if kept is not None and gone is not None:
                    await uow.vault.store(survivor.id, _merged_record(kept, gone), survivor.home_municipality)
            await uow.duplicates.resolve(first.id, second.id, cmd.resolution, now=now)
            event_ids = await _save(uow, first, cmd, deps) + await _save(uow, second, cmd, deps)
            await uow.commit()
        return Outcome(cmd.surviving_client_id or first.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


def _merged_record(kept: VaultRecord, gone: VaultRecord) -> VaultRecord:
    a, b = kept.person, gone.person
    person = a.model_copy(update={
        "identity_code": a.identity_code or b.identity_code, "address": a.address or b.address,
        "phone": a.phone or b.phone, "email": a.email or b.email,
        "languages": list(dict.fromkeys([*a.languages, *b.languages])),
        "interpreter_needed": a.interpreter_needed or b.interpreter_needed})
    return VaultRecord(PersonalData.model_validate(person.model_dump()),
                       min(kept.first_permit_date, gone.first_permit_date),
                       kept.moved_to_finland_on or gone.moved_to_finland_on, kept.consents + gone.consents)


async def update_personal_data(cmd: commands.UpdatePersonalData, deps: Deps) -> Outcome:
    """The responsible organisation corrects or completes the vault record; a change of languages is
    published (other services write to the person in them), nothing else is."""
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            client = await _active(uow, cmd.client_id)
            _check_owner(client, cmd.sender, "change the person's data")
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
            event_ids = await _save(uow, client, cmd, deps)
            await uow.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def end_relationship(cmd: commands.EndRelationship, deps: Deps) -> Outcome:
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            client = await _active(uow, cmd.client_id)
            _check_owner(client, cmd.sender, "end the client relationship")
            client.end_relationship(ended_on=cmd.ended_on, reason=cmd.reason, today=deps.clock.today())
            event_ids = await _save(uow, client, cmd, deps)
            await uow.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def erase(cmd: commands.Erase, deps: Deps) -> Outcome:
    """Destroy the person's data key (and with it their data) and publish `ClientErased` (R29).

    On request, the responsible organisation erases; at the end of retention the system does.
    """
    async def attempt() -> Outcome:
        async with deps.uow() as uow:
            client = await uow.clients.get(cmd.client_id)
            if client is None:
                raise NotFound("client")
            if cmd.basis == "client_request":
                _check_owner(client, cmd.sender, "erase the client on request")
            client.erase(today=deps.clock.today(), basis=cmd.basis)
            await uow.vault.erase(client.id)
            event_ids = await _save(uow, client, cmd, deps)
            await uow.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


# --- scheduled jobs ------------------------------------------------------------------------------

async def erase_expired(deps: Deps, *, batch: int = 200) -> int:
    """R29: erase every client whose retention ended; returns how many were erased."""
    async with deps.uow() as uow:
        due = await uow.clients.due_for_erasure(deps.clock.today(), batch)
    for client_id in due:
        await erase(commands.Erase(sender=None, client_id=client_id, basis="retention_expired"), deps)
    if due:
        log.info("retention job erased clients", count=len(due))
    return len(due)


async def review_responsibilities(deps: Deps) -> int:
    """R5 with agreements: when an agreement enters into force or ends, hand over every client it moves."""
    today, moved = deps.clock.today(), 0
    async with deps.uow() as uow:
        candidates = await uow.clients.not_with(
            {m: responsible_organisation(False, m, today, deps.policy.agreements).organisation for m in Municipality})
    for client_id in candidates:
        cmd = commands.Command(sender=None)

        async def attempt(client_id: UUID = client_id, cmd: commands.Command = cmd) -> int:
            async with deps.uow() as uow:
                client = await _active(uow, client_id)
                client.review_responsibility(today=today, policy=deps.policy)
                changed = len(await _save(uow, client, cmd, deps))
                await uow.commit()
            return changed

        moved += bool(await retrying(attempt))
    if moved:
        log.info("responsibility reviewed after an agreement change", moved=moved)
    return moved

