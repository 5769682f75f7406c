"""How invalid requests, refusals and unknown cases are answered: the field or the rule, never the value."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assessment.domain.errors import NotFound, Refused


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)


async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def status_of(rule: str) -> int:
    """403 for who may act, 409 for a step out of order or one still missing, 422 for a rule of law or a
    date that cannot be."""
    if rule.startswith("ownership."):
        return 403
    if rule.startswith("process.") and rule != "process.dates":
        return 409
    return 422


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                        status_code=status_of(exc.rule))


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)
