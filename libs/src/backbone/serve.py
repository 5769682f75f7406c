"""Run a service's app under uvicorn; SIGTERM and SIGINT shut it down gracefully, exit status 0."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from backbone.logging import configure_logging
from backbone.settings import ServiceSettings


def uvicorn_config(app: FastAPI, settings: ServiceSettings, **overrides: Any) -> uvicorn.Config:
    """How a service is served. Forwarded headers are believed only from `settings.trusted_proxies`
    (none by default): uvicorn's own default trusts loopback, which lets anyone on the host, or behind
    a proxy that does not strip the header, choose the client address a rate limit counts."""
    trusted = ",".join(settings.trusted_proxies)
    options: dict[str, Any] = {"host": settings.http_host, "port": settings.http_port, "log_config": None,
                               "timeout_graceful_shutdown": 15, "lifespan": "on",
                               "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or ""}
    return uvicorn.Config(app, **(options | overrides))


def serve(build: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    log = configure_logging(settings.service_name, settings.log_level)
    app = build(settings)
    # uvicorn re-raises the signal it handled once it has shut down; with these handlers in place the
    # re-raise is a no-op, so a graceful stop ends with status 0 instead of "killed by SIGTERM".
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: log.info("signal received after shutdown", signal=signum))
    uvicorn.Server(uvicorn_config(app, settings)).run()
