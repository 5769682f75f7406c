"""Builds planning's app: the only place that wires pools, brokers, keys and handlers together.

Building needs neither Kafka nor PostgreSQL; they are connected at start-up. It does need the master
keys of the plans' encrypted notes: planning refuses to start without them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from backbone import parts
from backbone.app import ServiceContext, create_service_app
from backbone.clientkeys import ClientKeys
from backbone.clock import SystemClock
from backbone.scheduler import Scheduled
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.planning import EVENTS
from contracts.topics import event_topic
from planning.adapters.postgres import PostgresUnitOfWork
from planning.config import PlanningSettings
from planning.domain.plan import Policy
from planning.entrypoints import events, http
from planning.service_layer import handlers

MIGRATIONS = Path(__file__).with_name("migrations")


def policy_from(settings: PlanningSettings) -> Policy:
    return Policy(WorkingDays(saturday_is_working=settings.saturday_is_working_day),
                  settings.drawing_up_target_working_days, settings.quota_refugee_three_years)


def build(settings: PlanningSettings, *, clock=None) -> FastAPI:
    master = settings.vault_master_keys.get_secret_value()
    if not master:
        raise ValueError("PLANNING_VAULT_MASTER_KEYS is empty: planning keeps notes only encrypted")
    keys = ClientKeys.from_setting(master)
    holder: dict[str, ServiceContext] = {}
    deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(holder["ctx"].pool, keys), clock=clock or SystemClock(),
                         policy=policy_from(settings))
    app, ctx = create_service_app(
        settings, title="Planning", migrations=MIGRATIONS, subscriptions=events.subscriptions(deps, keys),
        parts=[parts.CLIENT_VIEW, parts.CLIENT_KEYS],
        jobs=[Scheduled("planning.deadlines", settings.deadline_check_interval_s,
                        lambda: handlers.check_deadlines(deps))])
    holder["ctx"] = ctx
    app.description = ("Integration plans: drawing up after the assessment, content, the client's agreement, limits "
                       "(R10-R19), reviews, interruptions, extensions, referral deadlines and handover. "
                       "Authenticate with `Authorization: Bearer <token>` (docs/credentials.md).")
    app.state.planning = deps
    http.install(app)
    types = ", ".join(f"{e.TYPE} v{e.VERSION}" for e in EVENTS)
    ctx.router.publisher(event_topic("planning"), schema=Envelope, title=event_topic("planning"),
                         description=f"Planning's events ({types}) in the Envelope, written by the relay from the "
                                     "event store; the key is the client id. Codes, dates and ids only.")
    return app
