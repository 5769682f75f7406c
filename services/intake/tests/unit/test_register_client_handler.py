"""`register_client` with the in-memory unit of work: what it stores and what it appends."""

from __future__ import annotations

import pytest

from backbone.errors import ConcurrencyError
from intake.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from intake.domain.model import InvalidRegistration
from intake.service_layer import handlers, views
from services.intake.tests import factories
from services.intake.tests.unit_of_work_contract import a_registration

pytestmark = pytest.mark.unit


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


class TestRegisterClient:
    async def test_stores_the_client_with_its_personal_details_in_the_vault(self, store):
        cmd = factories.register_client()

        done = await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        client, personal, created_at = store.clients[done.client_id]
        assert (client.id, personal, created_at) == (cmd.client_id, cmd.personal, factories.NOW)

    async def test_appends_one_client_registered_as_version_1_of_the_clients_new_stream(self, store):
        cmd = factories.register_client()

        done = await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        [stored] = store.streams[cmd.client_id]
        assert (stored.version, stored.envelope.type, stored.envelope.event_id) == (1, "ClientRegistered",
                                                                                    done.event_id)

    async def test_the_envelope_records_the_declared_organisation_and_the_correlation_id(self, store):
        cmd = factories.register_client(organisation="hango")

        done = await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        envelope = store.streams[cmd.client_id][0].envelope
        assert (envelope.organisation, envelope.producer, envelope.actor) == ("hango", "intake", "system")
        assert envelope.correlation_id == done.correlation_id == cmd.correlation_id
        assert envelope.recorded_at == factories.NOW

    async def test_the_registration_day_is_the_date_in_finland(self, store):
        cmd = factories.register_client()
        late_evening_utc = factories.NOW.replace(hour=22, minute=30)  # already 3 March in Finland

        await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock(late_evening_utc))

        assert store.streams[cmd.client_id][0].envelope.payload["assessment_due_on"] == "2026-03-08"

    async def test_the_client_is_not_stored_when_the_event_cannot_be_appended(self, store):
        cmd = factories.register_client()
        async with InMemoryUnitOfWork(store) as uow:  # someone else wrote to this stream first
            await uow.events.append(cmd.client_id, 0, a_registration(cmd.client_id)[1])
            await uow.commit()

        with pytest.raises(ConcurrencyError):
            await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        assert cmd.client_id not in store.clients and len(store.streams[cmd.client_id]) == 1

    async def test_a_refused_registration_stores_nothing(self, store):
        cmd = factories.register_client(personal=factories.personal(date_of_birth=factories.TODAY.replace(year=2027)))

        with pytest.raises(InvalidRegistration):
            await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        assert (store.clients, store.streams) == ({}, {})


class TestViews:
    async def test_a_clients_events_are_listed_by_type_and_version_without_payloads(self, store):
        cmd = factories.register_client()
        done = await handlers.register_client(cmd, InMemoryUnitOfWork(store), factories.clock())

        entries = await views.client_events(InMemoryUnitOfWork(store), cmd.client_id)

        assert [(e.version, e.type, e.schema_version, e.event_id) for e in entries] == [
            (1, "ClientRegistered", 2, done.event_id)]
        assert await views.client_count(InMemoryUnitOfWork(store)) == 1
