"""Erasing a client (R29): on the person's request, and every client whose retention has ended."""

from __future__ import annotations

import structlog

from intake.domain.errors import NotFound
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, check_owner, retrying, save

log = structlog.get_logger()


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
                check_owner(client, cmd.sender, "erase the client on request")
            client.erase(today=deps.clock.today(), basis=cmd.basis, policy=deps.policy)
            await uow.vault.erase(client.id)
            await uow.idempotency.forget_client(client.id)
            event_ids = await save(uow, client, cmd, deps)
            await uow.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


async def erase_expired(deps: Deps, *, batch: int = 200) -> int:
    """R29: erase every client whose retention ended; returns how many were erased."""
    async with deps.uow() as uow:
        due = await uow.clients.due_for_erasure(deps.clock.today(), batch)
    for client_id in due:
        await erase(commands.Erase(sender=None, client_id=client_id, basis="retention_expired"), deps)
    if due:
        log.info("retention job erased clients", count=len(due))
    return len(due)
