"""Kafka connection settings for aiokafka and FastStream, and a start-up wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaConnectionError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from faststream.security import SASLScram512

from backbone.settings import ServiceSettings

log = structlog.get_logger()


def aiokafka_kwargs(settings: ServiceSettings) -> dict[str, Any]:
    """Connection keyword arguments shared by aiokafka producers, consumers and admin clients."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": settings.kafka_password.get_secret_value(),
        "client_id": settings.service_name,
    }


def faststream_security(settings: ServiceSettings) -> SASLScram512:
    return SASLScram512(
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value(),
        use_ssl=settings.kafka_security_protocol == "SASL_SSL",
    )


async def kafka_reachable(settings: ServiceSettings, timeout: float = 3.0) -> bool:
    """True when the broker answers a metadata request with this service's credentials."""
    admin = AIOKafkaAdminClient(**aiokafka_kwargs(settings), request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.describe_cluster(), timeout)
        return True
    except (KafkaError, OSError, asyncio.TimeoutError):
        return False
    finally:
        await admin.close()


async def wait_for_kafka(settings: ServiceSettings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.2
    while not await kafka_reachable(settings):
        if time.monotonic() + delay > deadline:
            raise KafkaConnectionError(f"Kafka at {settings.kafka_bootstrap} not reachable after {timeout:.0f}s")
        log.warning("kafka not reachable yet, retrying", delay_s=delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def commit_from_outside(consumer: Any, offsets: dict, *, timeout: float = 90.0) -> None:
    """Commit `offsets` for the consumer's group from outside the group (an assigned, not subscribed,
    consumer: an operator's or a test's reset of where a service will start reading).

    The broker takes such a commit only while the group has no members. A member that was killed, or
    stopped a moment ago without leaving, stays until its session times out: wait for it, up to
    `timeout` seconds, then raise the broker's refusal."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await consumer.commit(offsets)
            return
        except (CommitFailedError, UnknownMemberIdError, RebalanceInProgressError, IllegalGenerationError) as exc:
            if time.monotonic() > deadline:
                raise
            log.info("group still has a member: waiting to commit from outside", error=type(exc).__name__)
            await asyncio.sleep(1.0)


async def move_group_to_end(kafka: dict[str, Any], group: str, topics: Iterable[str], *,
                            timeout: float = 90.0) -> int:
    """Move consumer group `group` to the end of `topics`, as if it had read everything written there so
    far: assign every partition, read the end offsets and commit them from outside the group
    (`commit_from_outside`, which waits up to `timeout` seconds for a member that just stopped to leave).
    A test or an operator does this before a service starts, so that the service skips an old backlog;
    a real first start reads the topics from the beginning.

    `kafka` are aiokafka's connection keywords of a principal that may read the topics and commit for the
    group (`aiokafka_kwargs`, or a test's `infra.kafka_kwargs(...)`). Partitions nothing was written to
    are left alone (the group reads them from their start anyway). Returns how many messages the group
    skips: the sum over partitions of the end offset minus the group's committed offset (0 if none)."""
    consumer = AIOKafkaConsumer(**kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - every topic's partitions, as of now
        partitions: list[TopicPartition] = []
        for topic in dict.fromkeys(topics):
            found = consumer.partitions_for_topic(topic)
            if not found:
                raise ValueError(f"topic {topic}: unknown to the broker, or this principal may not describe it")
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(partitions)
        ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end}
        skipped = 0
        for tp, end in ends.items():
            skipped += max(end - ((await consumer.committed(tp)) or 0), 0)
        if ends:
            await commit_from_outside(consumer, ends, timeout=timeout)
        return skipped
    finally:
        await consumer.stop()
