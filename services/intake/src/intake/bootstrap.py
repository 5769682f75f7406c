"""Builds intake's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from intake.config import IntakeSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: IntakeSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Intake", migrations=MIGRATIONS)
    return app
