"""Command handlers: plain async functions taking the command and their dependencies by name."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog

from contracts.envelope import Envelope
from contracts.vocabulary import Service
from intake.domain.model import Client
from intake.service_layer.commands import RegisterClient
from intake.service_layer.ports import Clock, UnitOfWork

log = structlog.get_logger()


@dataclass(frozen=True)
class Registered:
    """The ids a registration produced; no personal data."""

    client_id: UUID
    event_id: UUID
    correlation_id: UUID


async def register_client(cmd: RegisterClient, uow: UnitOfWork, clock: Clock) -> Registered:
    """Store the client in the vault and append `ClientRegistered` to its new stream, in one transaction."""
    client = Client.register(cmd.client_id, personal=cmd.personal, home_municipality=cmd.home_municipality,
                             languages=cmd.languages, target_groups=cmd.target_groups,
                             residence_permit_date=cmd.residence_permit_date, source=cmd.source,
                             today=clock.today())
    now = clock.now()
    envelopes = [Envelope.wrap(event, producer=Service.INTAKE, organisation=cmd.organisation, actor=cmd.actor,
                               client_id=client.id, correlation_id=cmd.correlation_id, recorded_at=now)
                 for event in client.events]
    async with uow:
        await uow.clients.add(client, cmd.personal, created_at=now)
        await uow.events.append(client.id, 0, envelopes)
        await uow.commit()
    log.info("client registered", client_id=str(client.id), event_id=str(envelopes[0].event_id),
             correlation_id=str(cmd.correlation_id), organisation=cmd.organisation)
    return Registered(client.id, envelopes[0].event_id, cmd.correlation_id)
