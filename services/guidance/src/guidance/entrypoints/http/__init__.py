"""The HTTP API: every route needs a credential (`backbone.auth`); the caller's organisation or provider is
the credential's principal, never a header or a field."""

from __future__ import annotations

from fastapi import FastAPI

from guidance.entrypoints.http import catalogue, errors, referrals, visits


def install(app: FastAPI) -> None:
    for router in (catalogue.router, referrals.router, visits.router):
        app.include_router(router)
    errors.install(app)
