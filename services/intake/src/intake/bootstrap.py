"""Builds intake's app: the only place that wires pools, brokers, keys and handlers together.

Building needs neither Kafka nor PostgreSQL; they are connected at start-up, so the app (and its
AsyncAPI document) can be built offline. At start-up, before anything is served or applied, every
erasure on intake's own topic that the database does not know (a restored backup) is applied again. It does need the vault's keys: intake refuses to start
without them rather than keep personal data unencrypted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backbone.app import ServiceContext, create_service_app
from backbone.clock import SystemClock
from backbone.scheduler import Scheduled
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.intake import EVENTS
from contracts.topics import event_topic
from intake.adapters import erasure_log
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import VaultCrypto
from intake.config import IntakeSettings
from intake.domain.agreements import default_agreement_book
from intake.domain.client import Policy
from intake.entrypoints import http, ingress
from intake.entrypoints.dependencies import Services
from intake.entrypoints.public import RateLimit
from intake.service_layer import handlers, restore
from intake.service_layer.ports import Clock

if TYPE_CHECKING:  # imported by backbone.app at run time; importing it here first only adds a deprecation warning
    from faststream.kafka.fastapi import KafkaRouter

MIGRATIONS = Path(__file__).with_name("migrations")
log = structlog.get_logger()


def policy_from(settings: IntakeSettings) -> Policy:
    book = default_agreement_book(hango_from=settings.hango_agreement_from, inga_status=settings.inga_agreement_status,
                                  inga_from=settings.inga_agreement_from)
    return Policy(book, WorkingDays(saturday_is_working=settings.saturday_is_working_day),
                  settings.assessment_target_working_days, settings.claim_objection_working_days,
                  settings.handover_protection_days)


def private_keys(settings: IntakeSettings) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.ingress_private_keys.get_secret_value().split(",") if k.strip())
    if not keys:
        raise ValueError("INTAKE_INGRESS_PRIVATE_KEYS is empty: intake cannot open sealed ingress messages")
    return keys


def build(settings: IntakeSettings, *, clock: Clock | None = None) -> FastAPI:
    keys = VaultCrypto.from_settings(settings.vault_master_keys.get_secret_value(),
                                     settings.vault_index_key.get_secret_value())
    ingress_keys = private_keys(settings)
    holder: dict[str, ServiceContext] = {}
    deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(holder["ctx"].pool, keys), clock=clock or SystemClock(),
                         policy=policy_from(settings))

    erasures_reapplied = asyncio.Event()  # the ingress inbox and the jobs wait for it: nothing is applied before

    async def reapply_erasures(_: ServiceContext) -> None:
        own_topic = event_topic("intake")
        await restore.reapply_erasures(deps, own_topic,
                                       lambda start: erasure_log.read_erasures(settings, own_topic, start))
        erasures_reapplied.set()

    async def jobs() -> None:
        if erasures_reapplied.is_set():
            await run_jobs(deps)

    app, ctx = create_service_app(settings, title="Intake", migrations=MIGRATIONS,
                                  subscriptions=[ingress.subscription(deps, keys, ingress_keys,
                                                                      ready=erasures_reapplied)],
                                  jobs=[Scheduled("intake.jobs", settings.retention_check_interval_s, jobs)],
                                  on_startup=reapply_erasures)
    holder["ctx"] = ctx
    app.description = ("Registers clients from every source, decides eligibility and responsibility, keeps the "
                       "encrypted personal-data vault. Authenticate with `Authorization: Bearer <token>` "
                       "(docs/credentials.md).")
    declare_publications(ctx.router)
    app.state.services = Services(deps, RateLimit(settings.public_rate_limit), ingress_keys)
    http.install(app)
    if settings.public_origins:  # the public guide's pages post the contact form from their own origin
        app.add_middleware(CORSMiddleware, allow_origins=settings.public_origins, allow_methods=["POST"],
                           allow_headers=["Content-Type", "Accept-Language"], allow_credentials=False)
    return app


async def run_jobs(deps: handlers.Deps) -> None:
    """R29's erasure at the end of retention, handing clients over when an agreement changes, claims
    unopposed past their deadline, and forgetting idempotency keys after 7 days (one round;
    `backbone.scheduler` repeats it)."""
    while await handlers.erase_expired(deps):
        pass
    await handlers.review_responsibilities(deps)
    await handlers.accept_unopposed_claims(deps)
    await handlers.forget_idempotency_keys(deps)


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
