"""The HTTP API: every route needs a credential (`backbone.auth`); the caller's organisation is the
credential's principal, never a header or a field. The service layer checks who may act on a case."""

from __future__ import annotations

from fastapi import FastAPI

from assessment.entrypoints.http import cases, errors


def install(app: FastAPI) -> None:
    app.include_router(cases.router)
    errors.install(app)
