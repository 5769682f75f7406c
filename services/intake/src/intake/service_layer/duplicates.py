"""Deciding a flagged pair of possible duplicates: the same person (merged) or not."""

from __future__ import annotations

from intake.domain.errors import Refused
from intake.service_layer import commands
from intake.service_layer.base import Deps, Outcome, active_client, lock_clients, retrying, save


async def resolve_duplicate(cmd: commands.ResolveDuplicate, deps: Deps) -> Outcome:
    """An officer decides a flagged pair. Merging keeps the survivor, adds what only the other knew,
    and destroys the other's vault entry; both streams record the decision."""
    async def attempt() -> Outcome:
        now = deps.clock.now()
        async with deps.uow() as uow:
            await lock_clients(uow, cmd.client_id, cmd.other_client_id)
            if not await uow.duplicates.is_open(cmd.client_id, cmd.other_client_id):
                raise Refused("duplicates.open", "the two clients are not flagged as possible duplicates")
            first, second = await active_client(uow, cmd.client_id), await active_client(uow, cmd.other_client_id)
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
                    await uow.vault.store(survivor.id, kept.merged(gone, prefer_other=False), survivor.home_municipality)
            await uow.duplicates.resolve(first.id, second.id, cmd.resolution, now=now)
            event_ids = await save(uow, first, cmd, deps) + await save(uow, second, cmd, deps)
            await uow.commit()
        return Outcome(cmd.surviving_client_id or first.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)

