"""Kafka connection settings for aiokafka and FastStream, and a start-up wait."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError
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
