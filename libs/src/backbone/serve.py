"""Run a service's app under uvicorn; SIGTERM and SIGINT shut it down gracefully."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from backbone.logging import configure_logging
from backbone.settings import ServiceSettings


def serve(build: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level)
    app = build(settings)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                timeout_graceful_shutdown=15, lifespan="on")
