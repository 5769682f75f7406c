"""Kafka connection settings for aiokafka and FastStream, and a start-up wait."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
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
