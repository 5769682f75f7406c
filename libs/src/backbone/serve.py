"""Run a service's app under uvicorn; SIGTERM and SIGINT shut it down gracefully, exit status 0."""

from __future__ import annotations

import signal
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from backbone.logging import configure_logging
from backbone.settings import ServiceSettings


def serve(build: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    log = configure_logging(settings.service_name, settings.log_level)
    app = build(settings)
    # uvicorn re-raises the signal it handled once it has shut down; with these handlers in place the
    # re-raise is a no-op, so a graceful stop ends with status 0 instead of "killed by SIGTERM".
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: log.info("signal received after shutdown", signal=signum))
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                timeout_graceful_shutdown=15, lifespan="on")
