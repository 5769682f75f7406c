"""Builds notifications's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from notifications.config import NotificationsSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: NotificationsSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Notifications", migrations=MIGRATIONS)
    return app
