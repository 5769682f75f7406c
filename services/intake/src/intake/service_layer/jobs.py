"""Scheduled work other than erasure: handing clients over when an agreement changes (R5), and
forgetting idempotency keys."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import structlog

from contracts.vocabulary import Municipality
from intake.domain.responsibility import responsible_organisation
from intake.service_layer import commands
from intake.service_layer.base import Deps, _active, _save, retrying

log = structlog.get_logger()


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


IDEMPOTENCY_KEPT = timedelta(days=7)


async def forget_idempotency_keys(deps: Deps) -> int:
    """Idempotency keys protect retries, which happen within minutes; after 7 days they go."""
    async with deps.uow() as uow:
        forgotten = await uow.idempotency.forget_older_than(deps.clock.now() - IDEMPOTENCY_KEPT)
        await uow.commit()
    return forgotten
