"""How invalid requests, refusals, unknown clients, stale edits and passing faults are answered."""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from backbone.errors import ConcurrencyError
from intake.domain.errors import NotFound, PreconditionFailed, Refused, Unchanged
from intake.entrypoints import public

log = structlog.get_logger()

CONFLICTS = ("duplicates.", "claims.", "handover.", "unchanged.")
"""Rules refusing a command because of the client's state (409), not the caller's right (403) or input (422)."""

PASSING = (ConcurrencyError, asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
"""Conflicts a retry gets past, still there after the handler's own retries: 503 with Retry-After."""


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(PreconditionFailed, _precondition_failed)
    for passing in PASSING:
        app.add_exception_handler(passing, _try_again)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422s name the field and the problem but never echo the value: it may be personal data."""
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    body = {"detail": jsonable_encoder(errors)}
    if request.url.path.startswith("/public/"):
        language = public.language_of(request)
        body |= {"message": public.CHECK_FIELDS[language], "language": language}
    return JSONResponse(body, status_code=422)


def status_of(exc: Refused) -> int:
    if exc.rule.startswith("ownership."):
        return 403
    return 409 if exc.rule.startswith(CONFLICTS) else 422


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    body: dict = {"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]}
    if isinstance(exc, Unchanged):
        body["changed"] = False
    return JSONResponse(body, status_code=status_of(exc))


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)


async def _precondition_failed(_: Request, exc: PreconditionFailed) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["header", "If-Match"], "msg": str(exc), "type": "precondition_failed"}]},
                        status_code=412)


async def _try_again(_: Request, exc: Exception) -> JSONResponse:
    log.warning("request failed on a passing conflict after retries", error=type(exc).__name__)
    return JSONResponse({"detail": "a concurrent change got in the way; send the request again"}, status_code=503,
                        headers={"Retry-After": "1"})
