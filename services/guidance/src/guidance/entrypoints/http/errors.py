"""How invalid requests, refusals and unknown things are answered: the field or the rule, never a value."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from backbone.clientkeys import ClientShredded
from guidance.domain.errors import NotFound, Refused

CONFLICTS = ("referral.state", "referral.duplicate", "catalogue.version")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ValidationError, _invalid)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(ClientShredded, _gone)


async def _invalid(_: Request, exc: RequestValidationError | ValidationError) -> JSONResponse:
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    status = 403 if exc.rule.startswith("ownership.") else 409 if exc.rule in CONFLICTS else 422
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                        status_code=status)


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)


async def _gone(_: Request, __: ClientShredded) -> JSONResponse:
    return JSONResponse({"detail": "no such client"}, status_code=404)
