"""Builds notifications's app: the only place that wires pools, brokers and handlers together.

Start-up also starts the dispatcher, which sends due messages until shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from backbone import parts
from backbone.app import ServiceContext, create_service_app
from backbone.clock import SystemClock
from notifications.adapters.email import SmtpSender
from notifications.adapters.intake import IntakeContacts
from notifications.adapters.sms import SmsGateway
from notifications.config import NotificationsSettings
from notifications.domain.retry import RetryPolicy
from notifications.entrypoints import http
from notifications.service_layer import events
from notifications.service_layer.dispatch import Channels, Dispatcher

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass
class Services:
    contacts: IntakeContacts
    channels: Channels
    callback_secret: str
    letter_sender: str
    now: Callable[[], datetime]
    dispatcher: Dispatcher | None = None


def build(settings: NotificationsSettings, *, clock: Any = None, dispatch: bool = True) -> FastAPI:
    now = (clock or SystemClock()).now
    contacts = IntakeContacts(settings.intake_url, settings.intake_token.get_secret_value())
    channels = Channels(
        email=SmtpSender(host=settings.smtp_host, port=settings.smtp_port, starttls=settings.smtp_starttls,
                         username=settings.smtp_username, password=settings.smtp_password.get_secret_value(),
                         timeout=settings.smtp_timeout_s, keepalive_s=settings.smtp_keepalive_s),
        sms=SmsGateway(settings.sms_url, settings.sms_api_key.get_secret_value(), sender=settings.sms_sender,
                       callback_url=settings.receipts_url(), timeout=settings.sms_timeout_s),
        mail_from=settings.mail_from, message_id_domain=settings.message_id_domain)
    services = Services(contacts, channels, settings.sms_callback_secret.get_secret_value(),
                        "Integration services / Integrationstjänsterna / Kotoutumispalvelut", now)

    async def start(ctx: ServiceContext) -> None:
        services.dispatcher = Dispatcher(
            ctx.pool, contacts, channels, now=now, batch=settings.dispatch_batch, lease_s=settings.lease_s,
            idle_s=settings.dispatch_idle_s, concurrency=settings.dispatch_concurrency,
            view_wait_s=settings.view_wait_s,
            policy=RetryPolicy(settings.retry_base_s, settings.retry_max_s, settings.retry_horizon_s))
        if dispatch:
            task = asyncio.create_task(services.dispatcher.run(), name="dispatcher")
            ctx.tasks.append(task)

    async def stop(ctx: ServiceContext) -> None:
        for task in ctx.tasks:
            if task.get_name() == "dispatcher":
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        await contacts.close()
        await channels.sms.close()
        await channels.email.close()

    app, _ = create_service_app(settings, title="Notifications", migrations=MIGRATIONS, subscriptions=events.subscriptions(now),
                                parts=[parts.CLIENT_VIEW],
                                on_startup=start, on_shutdown=stop)
    app.state.notifications = services
    app.include_router(http.router)
    app.description = ("E-mail, SMS and printable letters to clients in their own language, exactly once, with "
                       "delivery tracked. Authenticate with `Authorization: Bearer <token>`.")
    return app
