"""Builds guidance's app: the only place that wires pools, brokers and handlers together."""

from pathlib import Path

from fastapi import FastAPI

from backbone.app import create_service_app
from guidance.config import GuidanceSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: GuidanceSettings) -> FastAPI:
    app, _ = create_service_app(settings, title="Guidance", migrations=MIGRATIONS)
    # --- the public guide (issue 13), served at /guide: pages, contact form, QR flyer -----------------
    # Its catalogue source is the programme's services and hours until guidance's public catalogue
    # (`guidance.service_layer.public_catalogue`) is wired in: `guide.catalogue.RowSource`.
    from guide.catalogue import ProgrammeCatalogue
    from guide.config import GuideSettings
    from guide.web import create_router

    app.mount("/guide", create_router(ProgrammeCatalogue(), GuideSettings()))
    # --- end of the public guide ---------------------------------------------------------------------
    return app
