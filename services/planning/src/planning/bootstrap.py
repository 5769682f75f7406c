"""Builds planning's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from planning.config import PlanningSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: PlanningSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Planning", migrations=MIGRATIONS)
    return app
