"""Builds intake's app: the only place that wires pools, brokers and handlers together.

Building needs neither Kafka nor PostgreSQL; they are connected at start-up, so the app (and its
AsyncAPI document) can be built offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from backbone.app import create_service_app
from contracts.envelope import Envelope
from contracts.events.intake import EVENTS
from contracts.topics import event_topic
from intake.adapters.clock import SystemClock
from intake.adapters.postgres import PostgresUnitOfWork
from intake.config import IntakeSettings
from intake.entrypoints import http
from intake.entrypoints.dependencies import Services
from intake.service_layer.ports import Clock

if TYPE_CHECKING:  # imported by backbone.app at run time; importing it here first only adds a deprecation warning
    from faststream.kafka.fastapi import KafkaRouter

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: IntakeSettings, *, clock: Clock | None = None) -> FastAPI:
    app, ctx = create_service_app(settings, title="Intake", migrations=MIGRATIONS)
    app.description = "Registers clients from every source, decides responsibility, keeps the personal-data vault."
    declare_publications(ctx.router)
    # ctx.pool exists once the app has started; a unit of work is only made while serving a request.
    app.state.services = Services(uow=lambda: PostgresUnitOfWork(ctx.pool), clock=clock or SystemClock())
    app.include_router(http.router)
    http.install_error_handlers(app)
    return app


def declare_publications(router: KafkaRouter) -> None:
    """Declare intake's topic in the AsyncAPI document (`/asyncapi`) with the Envelope as its message.

    Intake never publishes through this FastStream publisher: events are appended to the event store
    (the outbox) and the runtime's relay sends them with aiokafka, in order, keyed by the client id.
    The declaration exists so the document describes what the relay really writes.
    """
    types = ", ".join(f"{e.TYPE} v{e.VERSION}" for e in EVENTS)
    router.publisher(
        event_topic("intake"),
        schema=Envelope,
        title=event_topic("intake"),
        description=f"Intake's events ({types}) in the Envelope; the key is the client id. Payloads carry "
                    "codes, dates and the pseudonymous client id only; their JSON Schemas are exported by "
                    "`make schemas`.",
    )
