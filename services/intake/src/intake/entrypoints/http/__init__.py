"""The HTTP API: authenticates the caller, turns requests into commands and queries, results into responses.

Every route but the public contact form and the ingress key needs a credential (`backbone.auth`):
the caller's organisation is the credential's principal, never a header or a field. Who may do what
is decided in the routers (the service layer checks ownership of sources and clients again).
"""

from __future__ import annotations

from fastapi import FastAPI

from intake.entrypoints.http import clients, duplicates, errors, internal, registrations, worklist


def install(app: FastAPI) -> None:
    for router in (registrations.router, clients.router, duplicates.router, internal.router, worklist.router,
                   registrations.open_routes):
        app.include_router(router)
    errors.install(app)
