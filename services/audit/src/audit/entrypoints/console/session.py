"""Who is looking at the console: a bearer token pasted once into the login form, then kept in a
Secure, HttpOnly, SameSite=Strict cookie. POSTs carry a CSRF token bound to that session."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from backbone.auth import Authenticator, Caller
from contracts.topics import ORGANISATIONS
from contracts.vocabulary import Municipality

COOKIE = "console_session"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Viewer:
    """An operator sees everything; an organisation's officer sees its own organisation's part, read-only."""

    caller: Caller
    csrf: str

    @property
    def operator(self) -> bool:
        return self.caller.role == "operator"

    @property
    def organisation(self) -> str | None:
        """The organisation whose part an officer sees; None for an operator (everything)."""
        return None if self.operator else self.caller.principal

    @property
    def municipalities(self) -> tuple[str, ...]:
        """The municipalities whose follow-up figures this viewer may see."""
        every = tuple(m.value for m in Municipality)
        if self.operator or self.caller.principal == "employment-region":  # it serves all three
            return every
        return tuple(m for m in every if m == self.caller.principal)


class LoginRequired(Exception):
    """No session, or its credential is no longer valid: back to the login form."""


class NotForViewer(Exception):
    """The viewer is logged in but may not see or do this."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def csrf_for(token: str) -> str:
    """Bound to the session's secret token, which scripts and other sites cannot read (HttpOnly)."""
    return hmac.new(token.encode(), b"audit-console-csrf", hashlib.sha256).hexdigest()


def authenticator(request: Request) -> Authenticator:
    state = request.app.state
    if getattr(state, "console_authenticator", None) is None:
        state.console_authenticator = Authenticator(lambda: state.context.pool)
    return state.console_authenticator


async def check_token(request: Request, token: str) -> Caller | str:
    """The caller when the token is valid and may use the console, else why not (never the token)."""
    outcome = await authenticator(request).check(token, now=datetime.now(UTC))
    if not isinstance(outcome, Caller):
        return f"credential {outcome}"
    if outcome.role == "operator" or (outcome.role == "officer" and outcome.principal in ORGANISATIONS):
        return outcome
    return f"role {outcome.role} may not use the console; it is for operators and organisations' officers"


async def viewer(request: Request) -> Viewer:
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired()
    outcome = await check_token(request, token)
    if not isinstance(outcome, Caller):
        raise LoginRequired()
    return Viewer(outcome, csrf_for(token))


async def operator(request: Request) -> Viewer:
    v = await viewer(request)
    if not v.operator:
        raise NotForViewer("only operators see this page")
    return v


def check_csrf(request: Request, v: Viewer, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, v.csrf):
        raise NotForViewer("the form's CSRF token is missing or wrong: reload the page and try again")
    same_origin(request)


def same_origin(request: Request) -> None:
    """A POST from another site is refused even before its CSRF token is looked at."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise NotForViewer("the request came from another site")
