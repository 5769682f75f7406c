"""The AsyncAPI documents generated from the contracts (the official parser checks them in tests/integration)."""

from __future__ import annotations

import json

import pytest

from contracts.asyncapi import INGRESS_SOURCES, document
from contracts.envelope import Envelope
from contracts.ingress import IngressMessage
from contracts.registry import CATALOGUE
from contracts.topics import CONSUMES, ORGANISATIONS, PRODUCING_SERVICES, SERVICES, all_topics, dead_letter_topic, \
    event_topic

pytestmark = pytest.mark.unit

VERSIONS = [CATALOGUE.model(t, v) for t in CATALOGUE.types() for v in CATALOGUE.versions(t)]


def channel(doc: dict, topic: str) -> dict:
    [found] = [c for c in doc["channels"].values() if c["address"] == topic]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_lists_every_topic_the_service_writes_and_reads_and_nothing_else(service):
    doc = document(service)
    written = {t.name for t in all_topics() if t.writer == service}
    expected = written | set(CONSUMES[service])

    assert dead_letter_topic(service) in written
    assert (event_topic(service) in written) == (service in PRODUCING_SERVICES)
    assert {c["address"] for c in doc["channels"].values()} == expected
    sends = {doc["channels"][o["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
             for o in doc["operations"].values() if o["action"] == "send"}
    assert sends == written


@pytest.mark.parametrize("service", PRODUCING_SERVICES)
def test_every_event_version_its_producer_publishes_is_a_message_with_an_example_its_model_accepts(service):
    doc = document(service)
    names = set(channel(doc, event_topic(service))["messages"])
    mine = [m for m in VERSIONS if m.published_by(service)]

    assert names == {f"{m.TYPE}.v{m.VERSION}" for m in mine}
    for model in mine:
        message = doc["components"]["messages"][f"{model.TYPE}.v{model.VERSION}"]
        envelope = Envelope.model_validate(message["examples"][0]["payload"])
        assert (envelope.type, envelope.schema_version) == (model.TYPE, model.VERSION)
        assert model.model_validate(envelope.payload) is not None
        assert message["payload"]["properties"]["schema_version"]["const"] == model.VERSION


def test_every_ref_resolves_inside_the_document():
    for service in SERVICES:
        doc = document(service)
        text = json.dumps(doc)
        for name in {part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]}:
            assert name in doc["components"]["schemas"], (service, name)


def test_without_senders_each_ingress_channel_offers_every_source_and_the_example_is_a_valid_message():
    doc = document("intake")

    kela = channel(doc, "ingress.kela.v1")["messages"]
    assert {f"Registration.{s}" for s in INGRESS_SOURCES} <= set(kela)
    for name in kela:
        example = IngressMessage.model_validate(doc["components"]["messages"][name]["examples"][0]["payload"])
        if example.type == "Registration":
            assert example.registration().source == name.split(".", 1)[1]
    assert "JobseekerStatusChange" in channel(doc, "ingress.employment-region.v1")["messages"]
    assert "JobseekerStatusChange" not in kela


def test_senders_narrow_each_ingress_channel_to_what_its_organisation_may_send():
    doc = document("intake", senders={"kela_notification": ["kela"], "authority_contact": ORGANISATIONS})

    assert set(channel(doc, "ingress.kela.v1")["messages"]) == {"Registration.kela_notification",
                                                                 "Registration.authority_contact"}
    assert set(channel(doc, "ingress.luvn.v1")["messages"]) == {"Registration.authority_contact"}


def test_names_scram_sha_512_and_is_deterministic():
    assert document("audit")["components"]["securitySchemes"]["scram"]["type"] == "scramSha512"
    assert json.dumps(document("planning"), sort_keys=True) == json.dumps(document("planning"), sort_keys=True)


def test_refuses_an_unknown_service():
    with pytest.raises(ValueError, match="unknown service"):
        document("payroll")


def test_audit_writes_and_reads_its_anchor_topic():
    doc = document("audit")
    [anchors] = [c for c in doc["channels"].values() if c["address"] == "anchor.audit.v1"]

    assert list(anchors["messages"]) == ["Anchor"]
    actions = {o["action"] for o in doc["operations"].values() if o["channel"]["$ref"].endswith("anchor_audit_v1")}
    assert actions == {"send", "receive"}
