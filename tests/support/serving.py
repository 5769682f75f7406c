"""A service's app served by uvicorn inside the test process, and reading a topic from its end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import FastAPI

from backbone.serve import uvicorn_config
from backbone.settings import ServiceSettings
from contracts.topics import all_topics


@asynccontextmanager
async def serving(app: FastAPI, port: int, name: str = "the service", *,
                  settings: ServiceSettings | None = None) -> AsyncIterator[str]:
    """`app` served by uvicorn on `port` in this process; yields its base URL once start-up has finished.
    With `settings`, served exactly as `backbone.serve` serves it (forwarded headers, time-outs)."""
    config = (uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on") if settings is None
              else uvicorn_config(app, settings, host="127.0.0.1", port=port))
    server = uvicorn.Server(config)
    serving_task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 90
    while not server.started:  # set once start-up (migrations, Kafka, relay) has finished
        if serving_task.done():
            serving_task.result()  # start-up failed: raise its error here
        assert time.monotonic() < deadline, f"{name} did not start within 90 s"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving_task


@asynccontextmanager
async def tail(infra, topic: str, *, principal: str, group: str) -> AsyncIterator[Callable]:
    """Read `topic` from its current end: enter before acting, then `await next_matching(pred)`."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(principal), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        declared = next(t for t in all_topics() if t.name == topic)
        partitions = [TopicPartition(topic, p) for p in range(declared.partitions)]
        consumer.assign(partitions)
        for partition, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(partition, offset)

        async def next_matching(predicate: Callable[[ConsumerRecord], bool], timeout: float = 60) -> ConsumerRecord:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if predicate(record):
                            return record
            raise AssertionError(f"no matching record on {topic} within {timeout} s")

        yield next_matching
    finally:
        await consumer.stop()
