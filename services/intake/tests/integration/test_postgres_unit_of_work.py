"""The PostgreSQL unit of work keeps the port's contract; a registration is all or nothing."""

from __future__ import annotations

import pytest

from backbone.errors import ConcurrencyError
from intake.adapters.postgres import PostgresUnitOfWork
from intake.service_layer import handlers
from services.intake.tests import factories
from services.intake.tests.unit_of_work_contract import UnitOfWorkContract, a_registration

pytestmark = pytest.mark.integration


class TestPostgresUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def make_uow(self, intake_db):
        return lambda: PostgresUnitOfWork(intake_db)


class TestRegisterClientOnPostgres:
    async def test_the_vault_row_and_the_event_commit_together(self, intake_db):
        cmd = factories.register_client()

        done = await handlers.register_client(cmd, PostgresUnitOfWork(intake_db), factories.clock())

        async with intake_db.acquire() as conn:
            assert await conn.fetchval("SELECT name FROM clients WHERE client_id = $1", cmd.client_id) == \
                cmd.personal.name
            assert await conn.fetch("SELECT version, type, event_id FROM event_store WHERE stream_id = $1",
                                    cmd.client_id) == [(1, "ClientRegistered", done.event_id)]

    async def test_the_client_is_not_stored_when_its_event_cannot_be_appended(self, intake_db):
        cmd = factories.register_client()
        async with PostgresUnitOfWork(intake_db) as uow:  # someone else wrote to this stream first
            await uow.events.append(cmd.client_id, 0, a_registration(cmd.client_id)[1])
            await uow.commit()

        with pytest.raises(ConcurrencyError):
            await handlers.register_client(cmd, PostgresUnitOfWork(intake_db), factories.clock())

        async with intake_db.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM clients WHERE client_id = $1", cmd.client_id) == 0
            assert await conn.fetchval("SELECT count(*) FROM event_store WHERE stream_id = $1", cmd.client_id) == 1
