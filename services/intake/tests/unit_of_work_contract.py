"""The behaviour every `UnitOfWork` adapter must have, written once and run against each adapter."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from backbone.errors import ConcurrencyError
from contracts.envelope import Envelope
from intake.domain.model import Client
from intake.service_layer.ports import UnitOfWork
from services.intake.tests import factories


def a_registration(client_id: UUID | None = None) -> tuple[Client, list[Envelope]]:
    """A registered client (new id unless given) and envelopes around its events."""
    cmd = factories.register_client(client_id=client_id or uuid4())
    client = Client.register(cmd.client_id, personal=cmd.personal, home_municipality=cmd.home_municipality,
                             languages=cmd.languages, target_groups=cmd.target_groups,
                             residence_permit_date=cmd.residence_permit_date, source=cmd.source,
                             today=factories.TODAY)
    return client, envelopes_for(client)


def envelopes_for(client: Client) -> list[Envelope]:
    """Fresh envelopes (new event ids) around the client's recorded events."""
    return [Envelope.wrap(e, producer="intake", organisation="raseborg", actor="system", client_id=client.id,
                          correlation_id=uuid4()) for e in client.events]


class UnitOfWorkContract:
    """Subclasses provide the fixture `make_uow`: a callable returning a fresh unit of work on one store."""

    async def test_committed_work_is_seen_by_the_next_unit_of_work(self, make_uow: Callable[[], UnitOfWork]):
        client, envelopes = a_registration()
        before = await self._count(make_uow)

        async with make_uow() as uow:
            await uow.clients.add(client, factories.personal(), created_at=factories.NOW)
            await uow.events.append(client.id, 0, envelopes)
            await uow.commit()

        async with make_uow() as uow:
            assert [s.envelope for s in await uow.events.read(client.id)] == envelopes
            assert await uow.clients.count() == before + 1

    async def test_work_left_without_a_commit_leaves_neither_client_nor_event(self, make_uow):
        client, envelopes = a_registration()
        before = await self._count(make_uow)

        async with make_uow() as uow:
            await uow.clients.add(client, factories.personal(), created_at=factories.NOW)
            await uow.events.append(client.id, 0, envelopes)

        async with make_uow() as uow:
            assert await uow.events.read(client.id) == []
            assert await uow.clients.count() == before

    async def test_an_error_inside_rolls_back_the_client_with_the_event(self, make_uow):
        client, envelopes = a_registration()
        before = await self._count(make_uow)

        with pytest.raises(ZeroDivisionError):
            async with make_uow() as uow:
                await uow.clients.add(client, factories.personal(), created_at=factories.NOW)
                await uow.events.append(client.id, 0, envelopes)
                1 / 0

        async with make_uow() as uow:
            assert (await uow.events.read(client.id), await uow.clients.count()) == ([], before)

    async def test_appending_at_a_version_that_moved_on_is_a_concurrency_error(self, make_uow):
        client, envelopes = a_registration()
        async with make_uow() as uow:
            await uow.events.append(client.id, 0, envelopes)
            await uow.commit()

        with pytest.raises(ConcurrencyError):
            async with make_uow() as uow:
                await uow.events.append(client.id, 0, envelopes_for(client))

    @staticmethod
    async def _count(make_uow) -> int:
        async with make_uow() as uow:
            return await uow.clients.count()

