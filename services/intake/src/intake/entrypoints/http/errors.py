"""How invalid requests, refusals and unknown clients are answered."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from intake.domain.errors import NotFound, Refused
from intake.entrypoints import public


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422s name the field and the problem but never echo the value: it may be personal data."""
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    body = {"detail": jsonable_encoder(errors)}
    if request.url.path.startswith("/public/"):
        language = public.language_of(request)
        body |= {"message": public.CHECK_FIELDS[language], "language": language}
    return JSONResponse(body, status_code=422)


async def _refused(_: Request, exc: Refused) -> JSONResponse:
    status = 403 if exc.rule.startswith("ownership.") else 409 if exc.rule.startswith("duplicates.") else 422
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                        status_code=status)


async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": f"no such {exc.what}"}, status_code=404)
