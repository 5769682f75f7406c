"""What the routes need, built in bootstrap and handed to them through FastAPI's dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from intake.adapters.postgres import PostgresUnitOfWork
from intake.entrypoints.public import RateLimit
from intake.service_layer.handlers import Deps


@dataclass(frozen=True)
class Services:
    """The handlers' dependencies, the public form's rate limit and the ingress keys."""

    handler_deps: Deps
    rate_limit: RateLimit
    ingress_private_keys: tuple[str, ...]

    def uow(self) -> PostgresUnitOfWork:
        return self.handler_deps.uow()


async def services(request: Request) -> Services:
    """Async, though it awaits nothing: FastAPI runs a plain `def` dependency on its thread pool, a
    thread hand-off per request for a lookup."""
    return request.app.state.services


