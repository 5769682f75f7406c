"""Scheduled work other than erasure: handing clients over when an agreement changes (R5), and
forgetting idempotency keys."""

from __future__ import annotations

from datetime import timedelta

import structlog

from contracts.vocabulary import Municipality
from intake.adapters.postgres import PostgresUnitOfWork
from intake.domain.client import Client
from intake.domain.responsibility import responsible_organisation
from intake.service_layer import commands
from intake.service_layer.base import Deps, on_client

log = structlog.get_logger()


async def review_responsibilities(deps: Deps) -> int:
    """R5 with agreements: when an agreement enters into force or ends, hand over every client it moves."""
    today, moved = deps.clock.today(), 0
    async with deps.uow() as uow:
        candidates = await uow.clients.not_with(
            {m: responsible_organisation(False, m, today, deps.policy.agreements).organisation for m in Municipality})

    async def review(_: PostgresUnitOfWork, client: Client) -> None:
        client.review_responsibility(today=today, policy=deps.policy)

    for client_id in candidates:
        outcome = await on_client(commands.ClientCommand(sender=None, client_id=client_id), deps, review)
        moved += bool(outcome.event_ids)
    if moved:
        log.info("responsibility reviewed after an agreement change", moved=moved)
    return moved


IDEMPOTENCY_KEPT = timedelta(days=7)


async def forget_idempotency_keys(deps: Deps) -> int:
    """Idempotency keys protect retries, which happen within minutes; after 7 days they go."""
    async with deps.uow() as uow:
        forgotten = await uow.idempotency.forget_older_than(deps.clock.now() - IDEMPOTENCY_KEPT)
        await uow.commit()
    return forgotten
