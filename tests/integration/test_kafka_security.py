"""SASL/SCRAM and ACLs on the real broker: who may write and read where."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAuthorizationFailedError
from confluent_kafka.admin import ConfigResource, ResourceType

from contracts.topics import all_topics, dead_letter_topic, event_topic, ingress_topic, retention
from deploy.provision import admin_client, desired_acls

pytestmark = pytest.mark.integration


async def _produce(infra, principal: str, topic: str, key: bytes, value: bytes, password: str | None = None):
    producer = AIOKafkaProducer(**infra.kafka_kwargs(principal, password), enable_idempotence=True, acks="all",
                                request_timeout_ms=10000)
    await producer.start()
    try:
        return await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def _read_back(infra, principal: str, topic: str, partition: int, offset: int, group: str):
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(principal), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        batch = await consumer.getmany(tp, timeout_ms=10000)
        return batch.get(tp, [])
    finally:
        await consumer.stop()


class TestTopicAuthorisation:
    async def test_a_service_writes_its_own_topic_and_a_consumer_of_it_reads_the_message(self, infra, unique):
        key = unique.encode()

        meta = await _produce(infra, "intake", event_topic("intake"), key, b"registered")

        records = await _read_back(infra, "assessment", event_topic("intake"), meta.partition, meta.offset,
                                   group=f"assessment-test-{unique}")
        assert [(r.key, r.value) for r in records][:1] == [(key, b"registered")]

    async def test_a_service_writing_to_a_topic_it_does_not_own_is_refused(self, infra, unique):
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(infra, "intake", event_topic("planning"), unique.encode(), b"not mine")

    async def test_an_organisation_writes_its_own_ingress_topic_and_no_other(self, infra, unique):
        meta = await _produce(infra, "kela", ingress_topic("kela"), unique.encode(), b"kelmu")

        assert meta.offset >= 0
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(infra, "kela", ingress_topic("hango"), unique.encode(), b"pretending")
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(infra, "kela", event_topic("intake"), unique.encode(), b"pretending")

    async def test_a_service_cannot_read_a_topic_it_does_not_consume(self, infra, unique):
        consumer = AIOKafkaConsumer(event_topic("planning"), **infra.kafka_kwargs("intake"),
                                    group_id=f"intake-test-{unique}", auto_offset_reset="earliest")
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                await consumer.start()
                await asyncio.wait_for(consumer.getone(), timeout=15)
        finally:
            await consumer.stop()

    async def test_a_consumer_group_outside_the_principals_prefix_is_refused(self, infra, unique):
        consumer = AIOKafkaConsumer(event_topic("intake"), **infra.kafka_kwargs("assessment"),
                                    group_id=f"planning-{unique}", auto_offset_reset="earliest")
        try:
            with pytest.raises(KafkaError):
                await consumer.start()
                await asyncio.wait_for(consumer.getone(), timeout=15)
        finally:
            await consumer.stop()


class TestAuthentication:
    async def test_a_wrong_password_is_refused(self, infra, unique, caplog):
        with pytest.raises(KafkaConnectionError):
            await _produce(infra, "intake", event_topic("intake"), unique.encode(), b"x", password="wrong-password")

        # aiokafka reports the broker's refusal in its log and then fails to bootstrap.
        assert "SaslAuthenticationFailed" in caplog.text
        assert "invalid credentials" in caplog.text


class TestDeclaredTopology:
    def test_every_declared_topic_exists_with_its_partitions_and_retention(self, infra):
        admin = admin_client(infra.bootstrap, "admin", infra.secrets["kafka"]["admin"])
        metadata = admin.list_topics(timeout=10).topics
        resources = [ConfigResource(ResourceType.TOPIC, t.name) for t in all_topics()]
        configs = {r.name: f.result(timeout=10) for r, f in admin.describe_configs(resources).items()}

        for topic in all_topics():
            assert len(metadata[topic.name].partitions) == topic.partitions, topic.name
            assert configs[topic.name]["retention.ms"].value == str(retention(topic.kind, topic.writer)), topic.name
            assert configs[topic.name]["retention.bytes"].value == "-1", topic.name

    def test_the_brokers_acls_are_exactly_the_declared_ones(self, infra):
        from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType

        admin = admin_client(infra.bootstrap, "admin", infra.secrets["kafka"]["admin"])
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                      AclOperation.ANY, AclPermissionType.ANY)

        on_broker = set(admin.describe_acls(everything).result(timeout=10))

        assert on_broker == {a.binding() for a in desired_acls()}

    async def test_the_audit_service_reads_the_dead_letters_of_every_other_service(self, infra, unique):
        meta = await _produce(infra, "planning", dead_letter_topic("planning"), unique.encode(), b"poison")

        records = await _read_back(infra, "audit", dead_letter_topic("planning"), meta.partition, meta.offset,
                                   group=f"audit-test-{unique}")
        assert records and records[0].value == b"poison"
