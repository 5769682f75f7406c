"""API credentials: every HTTP caller is a principal acting in a role, proven by a bearer token.

A principal is an organisation (`contracts.topics.ORGANISATIONS`), a backbone service (for calls
from service to service) or `operator`. A token reads `bb_<key_id>_<secret>`; only the SHA-256 of
the secret is stored, so a token is shown once, when issued. Routes depend on
`authenticated(*roles)`; a service's `credentials` command is `main` (issue, list, revoke,
rotate). See docs/credentials.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import re
import secrets
import string
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, TextIO

import asyncpg
import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backbone import db
from backbone.logging import configure_logging
from contracts.topics import OPERATOR, SERVICES, principals

log = structlog.get_logger()

ROLES: tuple[str, ...] = ("officer", "system", "operator", "service")
"""The roles a credential can carry:

- ``officer``: a person at an organisation using a desk application (the credential is the desk's).
- ``system``: an organisation's own system calling the API (case management, batch transfers).
- ``operator``: watches the system (health, lag, dead letters); sees no personal data.
- ``service``: another backbone service calling this one; the principal is that service's name.
"""

# --- tokens -------------------------------------------------------------------------------------

KEY_ID_LENGTH = 12
SECRET_BYTES = 32
LABEL_MAX = 200
_KEY_ID_ALPHABET = string.ascii_letters + string.digits
# The key id has a fixed length and no "_", so a token splits one way only, although the secret
# (url-safe base64 of 32 bytes: 43 characters) may itself contain "_" and "-".
_TOKEN = re.compile(r"bb_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})")
TOKEN_FORMAT = "bb_<key_id>_<secret>"


def new_key_id() -> str:
    return "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def format_token(key_id: str, secret: str) -> str:
    token = f"bb_{key_id}_{secret}"
    if parse_token(token) != (key_id, secret):
        raise ValueError(f"token: a key id of {KEY_ID_LENGTH} letters or digits and a 43-character secret needed")
    return token


def parse_token(token: str) -> tuple[str, str] | None:
    """`(key_id, secret)`, or None when `token` is not `bb_<key_id>_<secret>` exactly."""
    match = _TOKEN.fullmatch(token)
    return (match[1], match[2]) if match else None


def hash_secret(secret: str) -> bytes:
    # SHA-256 without salt or stretching is enough here: the secret is 256 random bits, not a
    # password, so there is no dictionary to try; a slow hash would only slow every request.
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, secret_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


# --- who may hold which role ----------------------------------------------------------------------


def roles_for(principal: str) -> tuple[str, ...]:
    """A service calls as `service`, the operator as `operator`, an organisation as `officer` or `system`."""
    if principal in SERVICES:
        return ("service",)
    if principal == OPERATOR:
        return ("operator",)
    return ("officer", "system")


def check_principal_and_role(principal: str, role: str) -> None:
    """Raise ValueError naming the field when the principal, the role or the pair is not allowed."""
    if principal not in principals():
        raise ValueError(f"principal: {principal!r} is not one of {', '.join(principals())}")
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role not in roles_for(principal):
        raise ValueError(f"role: {principal} may hold {' or '.join(roles_for(principal))}, not {role}")


def check_label(label: str) -> str:
    """The label without surrounding blanks; raise ValueError when it is empty or too long."""
    label = label.strip()
    if not 1 <= len(label) <= LABEL_MAX:
        raise ValueError(f"label: must say which system or desk holds the credential, 1 to {LABEL_MAX} characters")
    return label


def _check_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name}: must carry a time zone")
    return moment


# --- the credentials table ------------------------------------------------------------------------

State = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the principal, its role and the credential that proved it."""

    principal: str
    role: str
    key_id: str

    @property
    def actor(self) -> str:
        """The `actor` of events this caller causes: the key id, pseudonymous, never a person's name.

        `api_credentials.label` tells which system or desk it belongs to.
        """
        return self.key_id


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential; `token` exists only here, so hand it over and drop it."""

    key_id: str
    principal: str
    role: str
    expires_at: datetime | None
    token: str = field(repr=False)


@dataclass(frozen=True)
class CredentialInfo:
    """A credential as listed: everything but its secret."""

    key_id: str
    principal: str
    role: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> State:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


class PoolNotOpen(RuntimeError):
    """The service has not started yet, or has stopped: there is no database to check against."""


class UnknownCredential(LookupError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"no credential with key id {key_id!r}")


Db = asyncpg.Connection | asyncpg.Pool
_INFO = "key_id, principal, role, label, created_at, expires_at, revoked_at, last_used_at"


async def issue(conn: Db, *, principal: str, role: str, label: str, now: datetime,
                expires_at: datetime | None = None) -> IssuedCredential:
    """Store a new credential and return it with its token, which cannot be recovered later."""
    check_principal_and_role(principal, role)
    label = check_label(label)
    _check_aware(now, "now")
    if expires_at is not None and _check_aware(expires_at, "expires_at") <= now:
        raise ValueError("expires_at: must be later than now")
    key_id, secret = new_key_id(), new_secret()
    await conn.execute(
        "INSERT INTO api_credentials (key_id, principal, role, label, secret_hash, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)", key_id, principal, role, label, hash_secret(secret), now, expires_at)
    return IssuedCredential(key_id, principal, role, expires_at, token=format_token(key_id, secret))


async def revoke(conn: Db, key_id: str, *, now: datetime) -> bool:
    """Revoke the credential; False when there is no such credential or it was revoked already."""
    revoked = await conn.fetchval("UPDATE api_credentials SET revoked_at = $2 WHERE key_id = $1 "
                                  "AND revoked_at IS NULL RETURNING true", key_id, _check_aware(now, "now"))
    return bool(revoked)


async def list_credentials(conn: Db) -> list[CredentialInfo]:
    rows = await conn.fetch(f"SELECT {_INFO} FROM api_credentials ORDER BY principal, role, created_at, key_id")
    return [CredentialInfo(**row) for row in rows]


async def get_credential(conn: Db, key_id: str) -> CredentialInfo | None:
    row = await conn.fetchrow(f"SELECT {_INFO} FROM api_credentials WHERE key_id = $1", key_id)
    return None if row is None else CredentialInfo(**row)


async def rotate(conn: asyncpg.Connection, key_id: str, *, now: datetime, overlap: timedelta,
                 expires_at: datetime | None = None) -> IssuedCredential:
    """Issue a successor with the same principal, role and label; the old one ends at `now + overlap`.

    Both work during the overlap, so the holder can switch without downtime. The successor lives as
    long as the old one was issued for (for ever, if it had no expiry) unless `expires_at` is given.
    Only an active credential is rotated: a revoked one may have leaked; replace an expired one by `issue`.
    """
    if overlap < timedelta(0):
        raise ValueError("overlap: must not be negative")
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT {_INFO} FROM api_credentials WHERE key_id = $1 FOR UPDATE", key_id)
        if row is None:
            raise UnknownCredential(key_id)
        old = CredentialInfo(**row)
        if (state := old.state(now)) != "active":
            raise ValueError(f"key_id: credential {key_id} is {state}; issue a new one instead")
        if expires_at is None and old.expires_at is not None:
            expires_at = now + (old.expires_at - old.created_at)
        new = await issue(conn, principal=old.principal, role=old.role, label=old.label, now=now,
                          expires_at=expires_at)
        await conn.execute("UPDATE api_credentials SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), "
                           "GREATEST(created_at, $2)) WHERE key_id = $1", key_id, now + overlap)
    return new


# --- checking tokens ----------------------------------------------------------------------------

Refusal = Literal["malformed", "not recognised", "revoked", "expired"]
_UNAVAILABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, PoolNotOpen)
PoolSource = asyncpg.Pool | Callable[[], asyncpg.Pool | None]


@dataclass(frozen=True)
class _Entry:
    principal: str
    role: str
    secret_hash: bytes
    expires_at: datetime | None
    revoked_at: datetime | None
    fetched_at: float  # time.monotonic()


class Authenticator:
    """Checks tokens against `api_credentials`.

    Each known credential is remembered for `cache_ttl_s` seconds (default 5), so most requests
    need no database round trip: a revocation takes effect within that many seconds. Expiry is
    checked on every request. `last_used_at` is written at most once per `touch_interval_s`
    (default 60) per credential and process. `pool` may be a callable, for pools made at start-up.
    """

    def __init__(self, pool: PoolSource, *, cache_ttl_s: float = 5.0, touch_interval_s: float = 60.0) -> None:
        self._pool = (lambda: pool) if isinstance(pool, asyncpg.Pool) else pool
        self.cache_ttl_s, self.touch_interval_s = cache_ttl_s, touch_interval_s
        self._cache: dict[str, _Entry] = {}
        self._touched: dict[str, float] = {}

    async def authenticate(self, token: str, *, now: datetime) -> Caller | None:
        """The caller, or None for a malformed, unknown, wrong, revoked or expired token."""
        outcome = await self.check(token, now=now)
        return outcome if isinstance(outcome, Caller) else None

    async def check(self, token: str, *, now: datetime) -> Caller | Refusal:
        """The caller, or why not. Revoked and expired are told only to a caller holding the secret."""
        parsed = parse_token(token)
        if parsed is None:
            return "malformed"
        key_id, secret = parsed
        entry = await self._entry(key_id)
        if entry is None or not secret_matches(secret, entry.secret_hash):
            return "not recognised"
        if entry.revoked_at is not None:
            return "revoked"
        if entry.expires_at is not None and now >= entry.expires_at:
            return "expired"
        await self._touch(key_id, now)
        return Caller(entry.principal, entry.role, key_id)

    def _db(self) -> asyncpg.Pool:
        pool = self._pool()
        if pool is None:
            raise PoolNotOpen("the database pool is not open yet: authentication needs a started service")
        return pool

    async def _entry(self, key_id: str) -> _Entry | None:
        cached = self._cache.get(key_id)
        if cached is not None and time.monotonic() - cached.fetched_at < self.cache_ttl_s:
            return cached
        row = await self._db().fetchrow("SELECT principal, role, secret_hash, expires_at, revoked_at "
                                        "FROM api_credentials WHERE key_id = $1", key_id, timeout=5)
        if row is None:  # unknown keys are not remembered: the cache holds at most the table's rows
            self._cache.pop(key_id, None)
            return None
        self._cache[key_id] = entry = _Entry(**row, fetched_at=time.monotonic())
        return entry

    async def _touch(self, key_id: str, now: datetime) -> None:
        last = self._touched.get(key_id)
        if last is not None and time.monotonic() - last < self.touch_interval_s:
            return
        self._touched[key_id] = time.monotonic()
        try:  # bookkeeping only: a failure here must not refuse a valid caller
            await self._db().execute(  # the condition spares rows other processes have just touched
                "UPDATE api_credentials SET last_used_at = $2 WHERE key_id = $1 AND "
                "(last_used_at IS NULL OR last_used_at <= $3)",
                key_id, now, now - timedelta(seconds=self.touch_interval_s), timeout=5)
        except _UNAVAILABLE as exc:
            log.warning("last use of credential not recorded", key_id=key_id, error=type(exc).__name__)


# --- the FastAPI dependency -------------------------------------------------------------------

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


# --- the `credentials` command ---------------------------------------------------------------


def main(argv: list[str], database_url: str, *, prog: str = "credentials") -> int:
    """Run `credentials issue|list|revoke|rotate`; the exit status (0 done, 1 refused, 2 usage).

    The entry point of its own process: it sends the process's logs to stderr, so that stdout
    carries nothing but the token (`TOKEN=$(python -m intake credentials issue ...)`).
    """
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has explained on stderr
        return int(exit_.code or 0)
    configure_logging(prog, "INFO", stream=sys.stderr)
    return asyncio.run(_run(args, database_url))


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Manage the API credentials of this service's HTTP API. Tokens are stored "
                               "only as hashes: a token is printed once, at issue or rotate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_issue(commands.add_parser("issue", help="issue a credential; prints its token on stdout, once"))
    list_ = commands.add_parser("list", help="list credentials (never their secrets)")
    list_.add_argument("--json", action="store_true", help="one JSON object per credential per line")
    list_.set_defaults(run=_list)
    revoke_ = commands.add_parser("revoke", help="revoke a credential now (services refuse it within seconds)")
    revoke_.add_argument("key_id", metavar="KEY_ID")
    revoke_.set_defaults(run=_revoke)
    _add_rotate(commands.add_parser("rotate", help="issue a successor; the old credential ends after the overlap"))
    return parser


def _add_issue(issue_: argparse.ArgumentParser) -> None:
    issue_.add_argument("--principal", required=True, choices=principals(), metavar="PRINCIPAL",
                        help=f"who calls: {', '.join(principals())}")
    issue_.add_argument("--role", required=True, choices=ROLES, help="as what (see docs/credentials.md)")
    issue_.add_argument("--label", required=True, help=f"which system or desk holds it, at most {LABEL_MAX} "
                                                       "characters, never a person's name")
    issue_.add_argument("--expires-in-days", type=_positive_int, metavar="N",
                        help="expire after N days (default: never)")
    issue_.set_defaults(run=_issue)


def _add_rotate(rotate_: argparse.ArgumentParser) -> None:
    rotate_.add_argument("key_id", metavar="KEY_ID")
    rotate_.add_argument("--overlap-days", type=_non_negative_int, default=7, metavar="N",
                         help="days both credentials work, to switch over without downtime (default: 7)")
    rotate_.add_argument("--expires-in-days", type=_positive_int, metavar="N",
                         help="the new credential expires after N days (default: as long as the old one was "
                              "issued for)")
    rotate_.set_defaults(run=_rotate)


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days")
    return int(text)


async def _run(args: argparse.Namespace, database_url: str) -> int:
    # Imported here: backbone.app pulls in FastStream's FastAPI integration, which routes need not load.
    from backbone.app import RUNTIME_MIGRATIONS

    try:
        pool = await db.create_pool(database_url, max_size=2, timeout=15)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        print(f"error: database not reachable ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    try:
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")  # so it works on a fresh database
        async with pool.acquire() as conn:
            return await args.run(conn, args, datetime.now(UTC))
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await pool.close()


def _days(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now + timedelta(days=days)


async def _issue(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    new = await issue(conn, principal=args.principal, role=args.role, label=args.label, now=now,
                      expires_at=_days(now, args.expires_in_days))
    _hand_over(new, sys.stdout, sys.stderr)
    log.info("api credential issued", key_id=new.key_id, principal=new.principal, role=new.role)
    return 0


async def _list(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    for info in await list_credentials(conn):
        if args.json:
            print(json.dumps({**asdict(info), "state": info.state(now)}, default=_iso))
        else:
            print(f"{info.key_id}  {info.principal:<17} {info.role:<8} {info.state(now):<7} "
                  f"created {_when(info.created_at)}  expires {_when(info.expires_at)}  "
                  f"last used {_when(info.last_used_at)}  {info.label}")
    return 0


async def _revoke(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    if await revoke(conn, args.key_id, now=now):
        print(f"revoked {args.key_id}; services refuse it within seconds", file=sys.stderr)
        log.info("api credential revoked", key_id=args.key_id)
        return 0
    info = await get_credential(conn, args.key_id)
    if info is None:
        raise UnknownCredential(args.key_id)
    print(f"{args.key_id} was revoked already, at {_when(info.revoked_at)}", file=sys.stderr)
    return 0


async def _rotate(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    new = await rotate(conn, args.key_id, now=now, overlap=timedelta(days=args.overlap_days),
                       expires_at=_days(now, args.expires_in_days))
    _hand_over(new, sys.stdout, sys.stderr)
    log.info("api credential rotated", key_id=new.key_id, replaces=args.key_id, principal=new.principal,
             role=new.role)
    old = await get_credential(conn, args.key_id)
    print(f"{args.key_id} keeps working until {_when(old and old.expires_at)}; "
          f"once the holder uses {new.key_id}, revoke {args.key_id}", file=sys.stderr)
    return 0


def _hand_over(new: IssuedCredential, out: TextIO, err: TextIO) -> None:
    print(new.token, file=out)
    print(f"issued {new.key_id} for {new.principal} as {new.role}, expires {_when(new.expires_at)}. "
          "The token above cannot be shown again: hand it over out of band.", file=err)


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = [
    "ROLES", "Authenticator", "Caller", "CredentialInfo", "IssuedCredential", "UnknownCredential",
    "authenticated", "check_principal_and_role", "format_token", "get_credential", "hash_secret", "issue",
    "list_credentials", "main", "parse_token", "revoke", "rotate", "roles_for",
]
