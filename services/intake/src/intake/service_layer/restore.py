"""After a backup restore: erasures published since the dump are applied again before intake serves.

Crypto-shredding destroys a client's data key; a dump taken before the erasure still holds the key,
and the master key lives on, so restoring it would bring the person back. The erasures are on
intake's own event topic, which the restore does not touch: intake reads it from where the restored
database had read it (offsets kept in that database) and erases again whoever it still holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from contracts.envelope import SYSTEM_ACTOR
from intake.adapters.erasure_log import PublishedErasure
from intake.service_layer import commands
from intake.service_layer.base import Deps, retrying, save

log = structlog.get_logger()

Reader = Callable[[dict[int, int]], Awaitable[tuple[list[PublishedErasure], dict[int, int]]]]


async def reapply_erasures(deps: Deps, topic: str, read: Reader) -> int:
    """Erase again every client whose `ClientErased` is on `topic` but who is not erased here; returns
    how many. Reads from the offsets stored in the database and stores the new ones afterwards."""
    async with deps.uow() as uow:
        start = await uow.replay_offsets.get(topic)
    erasures, ends = await read(start)
    again = 0
    for erasure in erasures:
        again += await _erase_again(deps, erasure)
    async with deps.uow() as uow:
        await uow.replay_offsets.save(topic, ends)
        await uow.commit()
    log.info("erasures on intake's topic re-applied", read=len(erasures), erased_again=again)
    return again


async def _erase_again(deps: Deps, erasure: PublishedErasure) -> bool:
    async def attempt() -> bool:
        async with deps.uow() as uow:
            client = await uow.clients.get(erasure.client_id)
            if client is None:  # registered and erased after the dump: nothing of it was restored
                return False
            changed = client.erase_again(today=deps.clock.today(), basis=erasure.basis)  # type: ignore[arg-type]
            erased_key = await uow.vault.erase(client.id)
            await uow.idempotency.forget_client(client.id)
            await save(uow, client, commands.Command(sender=None, actor=SYSTEM_ACTOR, causation_id=erasure.event_id),
                       deps)
            await uow.commit()
        if changed or erased_key:
            log.warning("erasure re-applied after a restore", client_id=str(erasure.client_id),
                        erased_event_id=str(erasure.event_id))
        return changed or erased_key

    return await retrying(attempt)


