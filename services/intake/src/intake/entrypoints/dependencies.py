"""What the routes need, built in bootstrap and handed to them through FastAPI's dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from intake.service_layer.ports import Clock, UnitOfWork


@dataclass(frozen=True)
class Services:
    """A fresh unit of work per use, and the clock."""

    uow: Callable[[], UnitOfWork]
    clock: Clock


def services(request: Request) -> Services:
    return request.app.state.services
