"""Guards on the one topic/ACL definition (contracts.topics) that deploy/ applies."""

import pytest
from confluent_kafka.admin import AclOperation, ResourceType

from contracts.topics import (
    CONSUMES,
    ORGANISATIONS,
    PRODUCING_SERVICES,
    SERVICES,
    all_topics,
    dead_letter_topic,
    event_topic,
    ingress_topic,
)
from deploy.provision import desired_acls

pytestmark = pytest.mark.unit


def _grants(principal: str, op: AclOperation) -> set[str]:
    return {a.name for a in desired_acls()
            if a.principal == principal and a.operation == op and a.resource_type == ResourceType.TOPIC}


def test_every_topic_has_exactly_one_writer_and_only_what_holds_sealed_personal_data_expires():
    thirty_days = str(30 * 24 * 3600 * 1000)
    for topic in all_topics():
        writers = {a.principal for a in desired_acls() if a.name == topic.name and a.operation == AclOperation.WRITE}
        assert writers == {topic.writer}
        sealed = topic.kind == "ingress" or topic.name == "deadletter.intake.v1"
        assert topic.config["retention.ms"] == (thirty_days if sealed else "-1"), topic.name


def test_each_organisation_writes_only_its_own_ingress_topic():
    for org in ORGANISATIONS:
        assert _grants(org, AclOperation.WRITE) == {ingress_topic(org)}


def test_a_service_reads_exactly_the_topics_it_consumes_its_own_dead_letters_and_its_own_events():
    for svc in SERVICES:  # its own dead letters: to redrive one after a fix (backbone.redrive); its own event
        # topic: its relay reads back what reached it before a crash (backbone.relay)
        own = {event_topic(svc)} if svc in PRODUCING_SERVICES else set()
        assert _grants(svc, AclOperation.READ) == set(CONSUMES[svc]) | {dead_letter_topic(svc)} | own


def test_every_consumed_topic_is_declared_and_every_event_topic_has_a_consumer():
    declared = {t.name for t in all_topics()}
    consumed = {name for names in CONSUMES.values() for name in names}

    assert consumed <= declared
    assert {t.name for t in all_topics() if t.kind != "dead-letter"} <= consumed


def test_the_operator_principal_only_reads():
    assert _grants("operator", AclOperation.WRITE) == set()
    assert _grants("operator", AclOperation.READ) == {t.name for t in all_topics()}
