"""Builds audit's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from audit.config import AuditSettings
from audit.entrypoints.subscriber import subscription
from backbone.app import create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: AuditSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Audit", migrations=MIGRATIONS, subscriptions=[subscription()])
    return app
