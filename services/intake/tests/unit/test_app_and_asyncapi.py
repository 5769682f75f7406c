"""Intake's app builds without Kafka or PostgreSQL, and its AsyncAPI document describes its topic."""

from __future__ import annotations

import pytest

from intake.bootstrap import build
from intake.config import IntakeSettings

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def app():
    return build(IntakeSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://nobody@127.0.0.1:1/none"))


def test_the_http_api_offers_registration_counting_and_a_clients_events(app):
    paths = app.openapi()["paths"]

    assert {"/clients", "/clients/count", "/clients/{client_id}/events"} <= set(paths)


def test_the_asyncapi_document_declares_intakes_topic_with_the_envelope_as_message(app):
    document = app.state.context.router.schema.to_specification().to_jsonable()

    channel = document["channels"]["integration.intake.v1"]
    [message] = document["components"]["messages"].values()
    assert channel["address"] == "integration.intake.v1" and "ClientRegistered v2" in channel["description"]
    assert message["payload"] == {"$ref": "#/components/schemas/Envelope"}
    assert [op["action"] for op in document["operations"].values()] == ["send"]
