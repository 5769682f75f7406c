"""Intake's events, applied exactly once through the inbox: `backbone.clientview` keeps the client view,
then the case follows in the same transaction."""

from __future__ import annotations

import asyncpg

from backbone import clientview
from backbone.clientkeys import ClientKeys
from backbone.clientview import ClientView
from backbone.inbox import Subscription
from contracts.envelope import Envelope
from contracts.events.base import Event
from assessment.adapters.postgres import PostgresUnitOfWork
from assessment.service_layer import handlers

NAME = "intake-events"


def subscription(deps: handlers.Deps, keys: ClientKeys) -> Subscription:
    async def then(conn: asyncpg.Connection, envelope: Envelope, event: Event, _before: ClientView | None,
                   after: ClientView | None) -> None:
        async with PostgresUnitOfWork.on_connection(conn, keys) as uow:
            await handlers.follow_client(uow, envelope, event, after, deps)
            await uow.commit()

    return clientview.subscription(NAME, then=then)
