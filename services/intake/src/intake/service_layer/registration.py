"""Registering a client: a new one, or another source for the person already known by identity code."""

from __future__ import annotations

import hmac
import json
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import structlog

from contracts.ingress import AuthorityContact, PersonalData
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import Consent, ProposedChange, VaultRecord
from intake.domain import sources
from intake.domain.client import Client, years_later
from intake.domain.errors import Refused
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, active_client, retrying, save

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
        digest = _request_digest(uow, cmd) if cmd.idempotency_key is not None else b""
        if cmd.idempotency_key is not None:
            earlier = await uow.idempotency.find(str(cmd.sender), cmd.idempotency_key)
            if earlier is not None:
                return _replayed(earlier, digest)
        found, similar = await uow.vault.find_person(person, registration.home_municipality)
        existing = await active_client(uow, found) if found is not None else None
        if existing is not None:
            client, created, flagged = existing, False, ()
            owner = client.responsible_organisation  # before this source, which may move responsibility
            client.add_source(registration, under_23=young, today=today, policy=deps.policy)
            before = await uow.vault.load(client.id)
            if before is None or cmd.sender == owner:
                client.change_languages([*client.languages, *person.languages])
                await uow.vault.store(client.id, _updated_record(before, cmd), client.home_municipality)
            else:  # nobody but the responsible organisation overwrites who the person is
                await uow.vault.store(client.id, _facts_added(before, cmd), client.home_municipality)
                values = proposed_values(before.person, person)
                if values:
                    await uow.vault.propose(client.id, ProposedChange(uuid4(), str(cmd.sender or "public"),
                                                                      registration.source, now, values))
        else:
            client = Client.register(cmd.client_id, registration, languages=person.languages, under_23=young,
                                     today=today, policy=deps.policy)
            created = True
            flagged = tuple(similar)
            for other in flagged:
                client.flag_possible_duplicate(other, "name_and_birth_date")
                await uow.duplicates.flag(client.id, other, "name_and_birth_date", now=now)
            await uow.vault.store(client.id, _updated_record(None, cmd), registration.home_municipality)
        event_ids = await save(uow, client, cmd, deps)
        outcome = Outcome(client.id, event_ids, cmd.correlation_id, created, flagged)
        if cmd.idempotency_key is not None:  # a concurrent twin fails here, is retried and replays this
            await uow.idempotency.save(str(cmd.sender), cmd.idempotency_key, digest, _to_json(outcome))
        await uow.commit()
    log.info("registration applied", client_id=str(client.id), created=created, source=registration.source,
             sender=cmd.sender, possible_duplicates=len(flagged), correlation_id=str(cmd.correlation_id))
    return outcome


def _request_digest(uow: PostgresUnitOfWork, cmd: commands.Register) -> bytes:
    """A keyed digest of the request, so a reused key with other content is noticed without storing it."""
    canonical = json.dumps({"registration": cmd.registration.model_dump(mode="json"),
                            "person": cmd.person.model_dump(mode="json")}, sort_keys=True, ensure_ascii=False)
    return uow.keys.index.digest("idempotency", canonical)


def _replayed(earlier: tuple[bytes, dict], digest: bytes) -> Outcome:
    stored_digest, data = earlier
    if not hmac.compare_digest(stored_digest, digest):
        raise Refused("input.idempotency_key", "this Idempotency-Key was used for a different request")
    log.info("registration replayed", client_id=data["client_id"])
    return Outcome(UUID(data["client_id"]), tuple(UUID(e) for e in data["event_ids"]), UUID(data["correlation_id"]),
                   data["created"], tuple(UUID(d) for d in data["possible_duplicates"]), replayed=True)


def _to_json(outcome: Outcome) -> dict:
    return {"client_id": str(outcome.client_id), "event_ids": [str(e) for e in outcome.event_ids],
            "correlation_id": str(outcome.correlation_id), "created": outcome.created,
            "possible_duplicates": [str(d) for d in outcome.possible_duplicates]}


def proposed_values(known: PersonalData, sent: PersonalData) -> dict[str, Any]:
    """What `sent` says differently from the record (JSON values): a field it fills or changes, the
    languages with those it adds, an interpreter if it says one is needed. Empty when nothing differs."""
    old, new = known.model_dump(mode="json"), sent.model_dump(mode="json")
    values: dict[str, Any] = {}
    for name, value in new.items():
        if name == "languages":
            if set(value) - set(old[name]):
                values[name] = list(dict.fromkeys([*old[name], *value]))
        elif name == "interpreter_needed":
            if value and not old[name]:
                values[name] = True
        elif value is not None and value != old[name]:
            values[name] = value
    return values


def _facts_added(before: VaultRecord, cmd: commands.Register) -> VaultRecord:
    """The record with this registration's facts (the earliest permit, consents) but its own person."""
    merged = before.merged(_updated_record(None, cmd), prefer_other=False)
    return replace(merged, person=before.person)


def _updated_record(before: VaultRecord | None, cmd: commands.Register) -> VaultRecord:
    """The vault record after this registration: newer contact details win, nothing known is lost,
    and the earliest permit date is kept (the window runs from the *first* permit)."""
    registration = cmd.registration
    consents: tuple[Consent, ...] = ()
    if isinstance(registration, AuthorityContact) and registration.consent_given_on is not None:
        consents = (Consent(str(cmd.sender), registration.consent_given_on),)
    new = VaultRecord(cmd.person, registration.first_permit_date, registration.moved_to_finland_on, consents)
    return new if before is None else before.merged(new, prefer_other=True)
