"""Builds assessment's app: the only place that wires pools, brokers and handlers together.

Building needs neither Kafka nor PostgreSQL; they are connected at start-up, so the app (and its
AsyncAPI document) can be built offline. It needs the master keys of the notes: assessment refuses
to start without them rather than keep free text unencrypted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from backbone import parts
from backbone.app import ServiceContext, create_service_app
from backbone.clientkeys import ClientKeys
from backbone.clock import Clock, SystemClock
from backbone.scheduler import Scheduled
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.assessment import EVENTS
from contracts.topics import event_topic
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.config import AssessmentSettings
from assessment.entrypoints import events, http
from assessment.entrypoints.http.common import Services
from assessment.service_layer import handlers

if TYPE_CHECKING:
    from faststream.kafka.fastapi import KafkaRouter

MIGRATIONS = Path(__file__).with_name("migrations")


def policy_from(settings: AssessmentSettings) -> handlers.Policy:
    return handlers.Policy(WorkingDays(saturday_is_working=settings.saturday_is_working_day),
                           settings.assessment_target_working_days)


def client_keys(settings: AssessmentSettings) -> ClientKeys:
    value = settings.vault_master_keys.get_secret_value()
    if not value.strip():
        raise ValueError("ASSESSMENT_VAULT_MASTER_KEYS is empty: assessment keeps no notes unencrypted")
    return ClientKeys.from_setting(value)


def build(settings: AssessmentSettings, *, clock: Clock | None = None) -> FastAPI:
    keys = client_keys(settings)
    holder: dict[str, ServiceContext] = {}
    deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(holder["ctx"].pool, keys), clock=clock or SystemClock(),
                         policy=policy_from(settings))
    deadlines = Scheduled("assessment-deadlines", settings.deadline_check_interval_s,
                          lambda: handlers.publish_missed_deadlines(deps))
    app, ctx = create_service_app(settings, title="Assessment", migrations=MIGRATIONS,
                                  subscriptions=[events.subscription(deps, keys)],
                                  parts=[parts.CLIENT_VIEW, parts.CLIENT_KEYS], jobs=[deadlines])
    holder["ctx"] = ctx
    app.description = ("Assessment cases of clients to be assessed: initial interviews, the assessment of "
                       "competence and service needs, and their deadlines. Authenticate with "
                       "`Authorization: Bearer <token>` (docs/credentials.md).")
    declare_publications(ctx.router)
    app.state.services = Services(deps)
    http.install(app)
    return app


def declare_publications(router: KafkaRouter) -> None:
    """Declare assessment's topic in the AsyncAPI document; the relay, not FastStream, publishes."""
    types = ", ".join(f"{e.TYPE} v{e.VERSION}" for e in EVENTS)
    router.publisher(
        event_topic("assessment"),
        schema=Envelope,
        title=event_topic("assessment"),
        description=f"Assessment's events ({types}) in the Envelope; the key is the client id. Payloads carry "
                    "codes, dates and pseudonymous ids only; their JSON Schemas are exported by `make schemas`.",
    )
