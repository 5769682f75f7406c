"""Runs one service's relay as a process of its own, so a test can kill it with SIGKILL.

Usage: python -m tests.support.relay_proc SERVICE DSN BOOTSTRAP USER PASSWORD TOPIC
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from aiokafka import AIOKafkaProducer

from backbone.relay import Relay


async def main(service: str, dsn: str, bootstrap: str, user: str, password: str, topic: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    kafka = {"bootstrap_servers": bootstrap, "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
             "sasl_plain_username": user, "sasl_plain_password": password}
    producer = AIOKafkaProducer(**kafka, enable_idempotence=True, acks="all")
    await producer.start()
    print("relay running", flush=True)
    await Relay(pool, producer, service=service, topic=topic, kafka=kafka, batch_size=200).run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
