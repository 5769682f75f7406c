"""Intake's HTTP API, served over real HTTP, with its own PostgreSQL database and real Kafka."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.topics import event_topic
from intake import demo
from services.intake.tests.factories import registration_body
from services.intake.tests.integration.conftest import tail

pytestmark = pytest.mark.integration

PERSONAL_FIELDS = ("name", "date_of_birth", "email", "phone")


def invented_person(unique: str) -> dict:
    return registration_body(name=f"Testi Esimerkki {unique}", email=f"testi.{unique}@example.org",
                             date_of_birth="1979-08-23", phone="+44 7700 900777")


@pytest.fixture
async def http(intake_url):
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        yield client


class TestRegisterClient:
    async def test_a_valid_registration_is_created_with_its_ids(self, http, unique):
        correlation_id = uuid4()

        response = await http.post("/clients", json=invented_person(unique),
                                   headers={"X-Correlation-Id": str(correlation_id)})

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"client_id", "event_id", "correlation_id"}
        assert UUID(body["correlation_id"]) == correlation_id

    async def test_the_person_is_stored_in_intakes_vault(self, http, intake_db, unique):
        person = invented_person(unique)

        client_id = (await http.post("/clients", json=person)).json()["client_id"]

        row = await intake_db.fetchrow("SELECT * FROM clients WHERE client_id = $1", UUID(client_id))
        assert (row["name"], row["email"], row["phone"], str(row["date_of_birth"])) == tuple(
            person[f] for f in ("name", "email", "phone", "date_of_birth"))
        assert (row["home_municipality"], row["languages"]) == ("hango", ["uk", "sv"])

    async def test_exactly_one_client_registered_is_appended_to_the_clients_new_stream(self, http, intake_db, unique):
        body = (await http.post("/clients", json=invented_person(unique), headers={"X-Organisation": "inga"})).json()

        rows = await intake_db.fetch("SELECT version, type, event_id, envelope FROM event_store WHERE stream_id = $1",
                                     UUID(body["client_id"]))
        [(version, type_, event_id, raw)] = rows
        assert (version, type_, str(event_id)) == (1, "ClientRegistered", body["event_id"])
        assert Envelope.from_bytes(raw).organisation == "inga"
        listed = (await http.get(f"/clients/{body['client_id']}/events")).json()
        assert [(e["version"], e["type"], e["event_id"]) for e in listed] == [(1, "ClientRegistered", body["event_id"])]

    async def test_the_event_reaches_kafka_keyed_by_the_client_id_without_any_personal_data(self, http, infra, unique):
        person = invented_person(unique)
        async with tail(infra, event_topic("intake"), principal="audit", group=f"audit-intake-test-{unique}") as next_:
            client_id = (await http.post("/clients", json=person)).json()["client_id"]

            record = await next_(lambda r: r.key == client_id.encode())

        envelope = Envelope.from_bytes(record.value)
        assert (envelope.type, str(envelope.client_id), envelope.producer) == ("ClientRegistered", client_id, "intake")
        published = record.value.decode().lower()
        assert [f for f in PERSONAL_FIELDS if str(person[f]).lower() in published] == []
        assert not set(PERSONAL_FIELDS) & set(envelope.payload)

    @pytest.mark.parametrize(("field", "change"), [
        ("name", {"name": ""}),
        ("date_of_birth", {"date_of_birth": "2999-01-01"}),
        ("home_municipality", {"home_municipality": "helsinki"}),
        ("languages", {"languages": []}),
        ("email", {"email": "not-an-address"}),
        ("phone", {"phone": "call me"}),
        ("source", {"source": None}),
    ])
    async def test_invalid_input_is_refused_with_422_naming_the_field_and_nothing_is_stored(
            self, http, intake_db, unique, field, change):
        person = {**invented_person(unique), **change}
        person = {k: v for k, v in person.items() if v is not None}
        events_before = await intake_db.fetchval("SELECT count(*) FROM event_store")

        response = await http.post("/clients", json=person)

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
        assert unique not in response.text  # the submitted values are not echoed
        assert await intake_db.fetchval("SELECT count(*) FROM clients WHERE name LIKE $1", f"%{unique}%") == 0
        assert await intake_db.fetchval("SELECT count(*) FROM event_store") == events_before

    async def test_an_unknown_organisation_header_is_refused_with_422_naming_the_header(self, http, intake_db, unique):
        response = await http.post("/clients", json=invented_person(unique), headers={"X-Organisation": "acme"})

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["header", "X-Organisation"]]
        assert await intake_db.fetchval("SELECT count(*) FROM clients WHERE name LIKE $1", f"%{unique}%") == 0


class TestReading:
    async def test_an_unknown_client_has_no_events(self, http):
        response = await http.get(f"/clients/{uuid4()}/events")

        assert response.status_code == 404

    async def test_the_count_follows_registrations(self, http, unique):
        before = (await http.get("/clients/count")).json()["clients"]

        await http.post("/clients", json=invented_person(unique))

        assert (await http.get("/clients/count")).json()["clients"] >= before + 1

    async def test_the_served_asyncapi_document_declares_intakes_topic(self, http):
        document = (await http.get("/asyncapi.json")).json()

        assert document["info"]["title"] == "Intake"
        assert document["channels"]["integration.intake.v1"]["address"] == "integration.intake.v1"


class TestDemoSeeder:
    async def test_it_registers_up_to_the_count_and_a_second_run_registers_nothing(self, http, intake_url):
        target = (await http.get("/clients/count")).json()["clients"] + 3

        first = await asyncio.to_thread(demo.seed, intake_url, target)
        second = await asyncio.to_thread(demo.seed, intake_url, target)

        assert (len(first), second) == (3, [])
        assert json.dumps(first)  # ids and codes only: printable without personal data
        assert (await http.get("/clients/count")).json()["clients"] == target
