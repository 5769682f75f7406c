"""Builds guidance's app: the only place that wires pools, brokers, keys and handlers together.

Building needs neither Kafka nor PostgreSQL (they are connected at start-up), but it does need the
master keys for clients' free text: guidance refuses to start without them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from backbone import parts
from backbone.app import ServiceContext, create_service_app
from backbone.clientkeys import ClientKeys
from backbone.clock import FixedClock, SystemClock
from backbone.scheduler import Scheduled
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.guidance import EVENTS
from contracts.topics import event_topic
from guidance.config import GuidanceSettings
from guidance.entrypoints import http
from guidance.service_layer import catalogue, public_catalogue, reactions, referrals
from guidance.service_layer.deps import Deps

MIGRATIONS = Path(__file__).with_name("migrations")


def calendar_from(settings: GuidanceSettings) -> WorkingDays:
    return WorkingDays(saturday_is_working=settings.saturday_is_working_day)


def build(settings: GuidanceSettings, *, clock: SystemClock | FixedClock | None = None) -> FastAPI:
    keys = ClientKeys.from_setting(settings.vault_master_keys.get_secret_value())
    holder: dict[str, ServiceContext] = {}
    deps = Deps(pool=lambda: holder["ctx"].pool, clock=clock or SystemClock(), keys=keys,
                calendar=calendar_from(settings),
                answer_working_days=settings.answer_working_days,
                start_grace_working_days=settings.start_grace_working_days)

    async def seed(_: ServiceContext) -> None:
        if settings.seed_catalogue:
            await catalogue.seed(deps)

    async def overdue() -> None:
        await reactions.plans_without_referral(deps)
        await referrals.mark_overdue(deps)

    app, ctx = create_service_app(
        settings, title="Guidance", migrations=MIGRATIONS,
        subscriptions=[reactions.clients(deps), reactions.plans(deps)],
        parts=[parts.CLIENT_VIEW, parts.CLIENT_KEYS],
        jobs=[Scheduled("guidance.overdue", settings.jobs_interval_s, overdue)],
        on_startup=seed)
    holder["ctx"] = ctx
    app.description = ("The service catalogue, referrals to its services with their whole lifecycle, course starts "
                       "and queues, and the guidance and counselling log. Authenticate with `Authorization: Bearer "
                       "<token>` (docs/credentials.md); course providers hold credentials as `provider:<code>`.")
    app.state.deps = deps
    types = ", ".join(f"{e.TYPE} v{e.VERSION}" for e in EVENTS)
    ctx.router.publisher(event_topic("guidance"), schema=Envelope, title=event_topic("guidance"),
                         description=f"Guidance's events ({types}) in the Envelope; the key is the client id (the "
                                     "catalogue's and anonymous visits' fixed stream ids for those).")
    http.install(app)
    mount_guide(app, ctx)
    return app


def mount_guide(app: FastAPI, ctx: ServiceContext) -> None:
    """The public guide (issue 13), served at /guide: pages, contact form, QR flyer. It reads the catalogue's
    services and guidance hours through `public_catalogue`, read-only, from guidance's pool."""
    from guide.catalogue import RowSource
    from guide.config import GuideSettings
    from guide.web import create_router

    source = RowSource(services=lambda: public_catalogue.published_services(ctx.pool),
                       hours=lambda: public_catalogue.opening_hours(ctx.pool))
    app.mount("/guide", create_router(source, GuideSettings()))
