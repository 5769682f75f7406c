"""Intake's app builds without Kafka or PostgreSQL, and its AsyncAPI document describes its topic."""

from __future__ import annotations

import base64
import os

import pytest

from contracts import sealing
from contracts.envelope import Envelope
from contracts.registry import CATALOGUE
from contracts.topics import ORGANISATIONS
from intake.bootstrap import build
from intake.config import IntakeSettings

pytestmark = pytest.mark.unit
ALL_EVENTS = [CATALOGUE.model(t, v) for t in CATALOGUE.types() for v in CATALOGUE.versions(t)]


def settings(**overrides) -> IntakeSettings:
    keys = dict(vault_master_keys="k1:" + base64.b64encode(os.urandom(32)).decode(),
                vault_index_key=base64.b64encode(os.urandom(32)).decode(),
                ingress_private_keys=sealing.generate_private_key())
    return IntakeSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://nobody@127.0.0.1:1/none",
                          **{**keys, **overrides})


@pytest.fixture(scope="module")
def app():
    return build(settings())


def test_the_http_api_offers_every_source_the_public_form_and_the_vault_routes(app):
    paths = set(app.openapi()["paths"])

    assert {"/registrations/jobseeker", "/registrations/kela-notification", "/registrations/refugee-placement",
            "/registrations/newcomer-notice", "/registrations/authority-contact", "/public/contact-requests",
            "/clients/{client_id}/personal-data", "/internal/clients/{client_id}/contact",
            "/clients/{client_id}/erasure", "/duplicates/resolution", "/ingress/public-key"} <= paths


def test_every_route_but_the_public_ones_requires_a_bearer_credential(app):
    spec = app.openapi()
    open_paths = {"/public/contact-requests", "/ingress/public-key", "/healthz", "/readyz", "/asyncapi"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            assert bool(operation.get("security")) != (path in open_paths), path


@pytest.mark.parametrize("missing", ["vault_master_keys", "vault_index_key", "ingress_private_keys"])
def test_intake_refuses_to_start_without_its_keys(missing):
    with pytest.raises(ValueError):
        build(settings(**{missing: ""}))


def test_the_asyncapi_document_declares_intakes_topic_with_the_envelope_as_message(app):
    document = app.state.context.router.schema.to_specification().to_jsonable()

    channel = document["channels"]["integration.intake.v1"]
    [message] = document["components"]["messages"].values()
    assert channel["address"] == "integration.intake.v1" and "ClientRegistered v3" in channel["description"]
    assert message["payload"] == {"$ref": "#/components/schemas/Envelope"}
    assert [op["action"] for op in document["operations"].values()] == ["send"]


@pytest.fixture(scope="module")
async def served(app) -> dict:
    import httpx

    # ASGITransport does not run the lifespan: nothing connects to Kafka or PostgreSQL
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        response = await http.get("/asyncapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_served_document_lists_every_topic_intake_writes_and_reads(served):
    channels = {c["address"] for c in served["channels"].values()}
    actions = sorted((op["action"], served["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"])
                     for op in served["operations"].values())

    assert served["asyncapi"] == "3.0.0" and len(channels) == 8
    assert channels == {"integration.intake.v1", "deadletter.intake.v1"} | {f"ingress.{o}.v1" for o in ORGANISATIONS}
    assert ("send", "integration.intake.v1") in actions and ("send", "deadletter.intake.v1") in actions
    assert {("receive", f"ingress.{o}.v1") for o in ORGANISATIONS} <= set(actions)


def test_every_intake_event_type_and_version_is_its_own_message_on_its_topic(served):
    [topic] = [c for c in served["channels"].values() if c["address"] == "integration.intake.v1"]
    expected = {f"{e.TYPE}.v{e.VERSION}" for e in ALL_EVENTS if e.published_by("intake")}

    assert set(topic["messages"]) == expected and "ClientRegistered.v1" in expected and "ClientRegistered.v3" in expected
    registered = served["components"]["messages"]["ClientRegistered.v3"]
    assert registered["payload"]["properties"]["type"]["const"] == "ClientRegistered"
    assert registered["payload"]["properties"]["payload"] == {"$ref": "#/components/schemas/ClientRegistered"}
    assert served["components"]["messages"]["ClientRegistered.v1"]["payload"]["properties"]["schema_version"] == \
        {"const": 1, "type": "integer"}
    example = registered["examples"][0]["payload"]
    assert Envelope.model_validate(example).schema_version == 3


@pytest.mark.parametrize(("organisation", "may_send"), [
    ("kela", {"Registration.kela_notification", "Registration.authority_contact"}),
    ("hango", {"Registration.refugee_placement", "Registration.municipal_newcomer_notice",
               "Registration.authority_contact"}),
    ("employment-region", {"Registration.employment_region_jobseeker", "Registration.authority_contact",
                           "JobseekerStatusChange"}),
])  # fmt: skip
def test_each_ingress_channel_lists_what_its_organisation_may_send(served, organisation, may_send):
    [channel] = [c for c in served["channels"].values() if c["address"] == f"ingress.{organisation}.v1"]

    assert set(channel["messages"]) == may_send


def test_the_document_names_scram_sha_512_and_the_local_and_compose_servers(served):
    assert served["components"]["securitySchemes"]["scram"]["type"] == "scramSha512"
    assert {s["host"] for s in served["servers"].values()} == {"localhost:19092", "kafka:9092"}
    assert all(s["security"] == [{"$ref": "#/components/securitySchemes/scram"}] for s in served["servers"].values())
