"""The FastAPI dependency: `authenticated(*roles)` turns a bearer token into a `Caller`, or 401/403/503."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backbone.auth.authenticator import _UNAVAILABLE, Authenticator, Refusal
from backbone.auth.models import Caller
from backbone.auth.roles import ROLES
from backbone.auth.tokens import TOKEN_FORMAT, parse_token

log = structlog.get_logger()

_bearer = HTTPBearer(auto_error=False, scheme_name="ApiCredential", bearerFormat=TOKEN_FORMAT,
                     description="A token issued per organisation, system or desk and role; see docs/credentials.md.")

_REFUSED: dict[Refusal, str] = {
    "malformed": f"malformed token: expected {TOKEN_FORMAT} exactly as issued",
    "not recognised": "credential not recognised: unknown key id or wrong secret",
    "revoked": "credential revoked: ask the operator for a new one",
    "expired": "credential expired: ask the operator for a new one",
}


def authenticated(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency that returns the `Caller` when its role is one of `roles`.

    401 (with `WWW-Authenticate: Bearer`) when the token is missing or not valid, 403 when the
    role is not allowed. Use as `caller: Annotated[Caller, Depends(authenticated("officer"))]`.
    """
    if not roles or not set(roles) <= set(ROLES):
        raise ValueError(f"roles: name at least one of {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")

    async def authenticated_caller(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
        if credentials is None:
            raise _unauthenticated(request, *_header_problem(request))
        outcome = await _check(request, credentials.credentials)
        if not isinstance(outcome, Caller):
            raise _unauthenticated(request, outcome, _REFUSED[outcome], key_id=_key_id_of(credentials.credentials))
        if outcome.role not in roles:
            log.info("caller refused", reason="role", key_id=outcome.key_id, role=outcome.role, path=request.url.path)
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {outcome.role} may not do this; allowed: {', '.join(roles)}")
        return outcome

    return authenticated_caller


async def _check(request: Request, token: str) -> Caller | Refusal:
    try:
        return await _authenticator(request).check(token, now=datetime.now(UTC))
    except _UNAVAILABLE as exc:
        log.warning("credentials not checked", error=type(exc).__name__, path=request.url.path)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "credentials cannot be checked right now; "
                            "try again shortly", headers={"Retry-After": "5"}) from exc


def _authenticator(request: Request) -> Authenticator:
    """The app's Authenticator, made on first use from the service's pool unless the app set one."""
    state = request.app.state
    if getattr(state, "authenticator", None) is None:
        state.authenticator = Authenticator(lambda: state.context.pool)
    return state.authenticator


def _header_problem(request: Request) -> tuple[str, str]:
    if "authorization" not in request.headers:
        return "no header", "missing Authorization header: send 'Authorization: Bearer <token>'"
    return "not bearer", "Authorization header is not 'Bearer <token>'"


def _key_id_of(token: str) -> str | None:
    parsed = parse_token(token)
    return parsed[0] if parsed else None


def _unauthenticated(request: Request, reason: str, detail: str, *, key_id: str | None = None) -> HTTPException:
    # The key id is not secret and tells which holder to call; the token never reaches the log.
    log.info("caller refused", reason=reason, key_id=key_id, path=request.url.path)
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})
