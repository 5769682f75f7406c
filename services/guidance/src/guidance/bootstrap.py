"""Builds guidance's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from guidance.config import GuidanceSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: GuidanceSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Guidance", migrations=MIGRATIONS)
    return app
