"""Intake's app builds without Kafka or PostgreSQL, and its AsyncAPI document describes its topic."""

from __future__ import annotations

import base64
import os

import pytest

from contracts import sealing
from intake.bootstrap import build
from intake.config import IntakeSettings

pytestmark = pytest.mark.unit


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
