"""Builds assessment's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from assessment.config import AssessmentSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: AssessmentSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Assessment", migrations=MIGRATIONS)
    return app
