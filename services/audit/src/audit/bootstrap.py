"""Builds audit's app: the only place that wires pools, brokers and handlers together."""

import asyncio
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from audit.adapters import anchor_log
from audit.config import AuditSettings
from audit.entrypoints.console import install
from audit.entrypoints.subscriber import subscription
from audit.service_layer import deadletters, integrity, lag
from backbone.app import ServiceContext, create_service_app
from backbone.kafka import aiokafka_kwargs

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: AuditSettings) -> FastAPI:
    async def start_console_work(ctx: ServiceContext) -> None:
        """The dead-letter reader, the lag sampler and the anchoring job run as long as the service."""
        kafka = aiokafka_kwargs(settings)
        work = {"dead-letters": deadletters.run(ctx.pool, kafka),
                "lag-sampler": lag.run(ctx.pool, kafka, settings.lag_sample_interval_s,
                                       timedelta(hours=settings.lag_keep_hours))}
        signing = settings.anchor_signing_key.get_secret_value()
        if signing:
            work["anchoring"] = integrity.run_anchoring(
                ctx.pool, lambda message: anchor_log.publish(ctx.producer, message), signing,
                settings.anchor_interval_s)
        for name, coroutine in work.items():
            ctx.tasks.append(asyncio.create_task(coroutine, name=name))

    app, _ = create_service_app(settings, title="Audit", migrations=MIGRATIONS, subscriptions=[subscription()],
                                on_startup=start_console_work)
    install(app)
    return app
