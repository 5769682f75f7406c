"""The console's pages. Routes only read the request, call the store or a use case, and render."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from audit.adapters import anchor_log, console_store, redrive_client
from audit.config import AuditSettings
from audit.domain.facts import FIGURES, PARTS, Fact, client_state, figures, half_year, open_deadlines
from audit.entrypoints.console import charts
from audit.entrypoints.console.session import (
    COOKIE, CSRF_FIELD, LoginRequired, NotForViewer, Viewer, check_csrf, check_token, operator, same_origin,
    viewer,
)
from audit.service_layer import integrity
from backbone.auth import Caller
from backbone.kafka import aiokafka_kwargs

log = structlog.get_logger()
HERE = Path(__file__).parent
STATIC = {"console.css": "text/css", "console.js": "text/javascript"}
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
Operator = Annotated[Viewer, Depends(operator)]
Anyone = Annotated[Viewer, Depends(viewer)]


def _page(template: str, v: Viewer | None, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(viewer=v, csrf_field=CSRF_FIELD, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _pool(request: Request):
    return request.app.state.context.pool


def _settings(request: Request) -> AuditSettings:
    return request.app.state.context.settings


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _moment(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:20000].decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body).items()}


def _filter(request: Request, v: Viewer) -> tuple[console_store.LogFilter, dict[str, str]]:
    q = request.query_params
    shown = {k: q.get(k, "").strip() for k in ("type", "producer", "organisation", "client_id", "correlation_id",
                                               "since", "until")}
    f = console_store.LogFilter(type=shown["type"] or None, producer=shown["producer"] or None,
                                organisation=v.organisation or shown["organisation"] or None,
                                client_id=_uuid(shown["client_id"]), correlation_id=_uuid(shown["correlation_id"]),
                                since=_moment(shown["since"]), until=_moment(shown["until"]))
    if v.organisation:
        shown["organisation"] = v.organisation
    return f, shown


def unreadable_filter(shown: dict[str, str]) -> str | None:
    """The first filter given but not readable, as `field: what it must be`; None when all are readable.
    An unreadable filter is refused, not ignored: the page would show every record as if filtered (found by
    the HTTP fuzzing, `since=2026-02-30`)."""
    for field in ("client_id", "correlation_id"):
        if shown.get(field) and _uuid(shown[field]) is None:
            return f"{field}: give a UUID"
    for field in ("since", "until"):
        if shown.get(field) and _moment(shown[field]) is None:
            return f"{field}: give a date and time (ISO 8601)"
    return None


def _row(r) -> dict[str, Any]:
    return {"seq": r["seq"], "event_id": str(r["event_id"]), "type": r["type"], "producer": r["producer"],
            "organisation": r["organisation"], "client_id": str(r["client_id"]),
            "occurred_at": r["occurred_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "hash": bytes(r["hash"]).hex()[:12]}


def _facts(rows) -> list[Fact]:
    return [Fact(r["seq"], r["type"], r["producer"], r["organisation"], r["client_id"], r["occurred_at"],
                 env.get("payload") or {}) for r, env in rows]


def install(app: FastAPI) -> None:
    """Add the console's routes and its error pages to the audit service's app."""
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        if request.url.path.endswith("/stream"):
            return PlainTextResponse("log in again", status_code=401)
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?{urlencode({'next': nxt})}", status_code=303)

    @app.exception_handler(NotForViewer)
    async def _refused(request: Request, exc: NotForViewer) -> Response:
        try:
            v = await viewer(request)
        except LoginRequired:
            v = None
        return _page("refused.html", v, status=403, what=exc.what)


router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return PlainTextResponse("not found", status_code=404)
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/login")
async def login_form(next: str = "/console/log") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return _page("login.html", None, next=_safe_next(next))


def _safe_next(target: str) -> str:
    return target if target.startswith("/console/") and not target.startswith("//") else "/console/log"


@router.post("/login")
async def login(request: Request) -> Response:
    same_origin(request)
    form = await _form(request)
    token = form.get("token", "").strip()
    outcome = await check_token(request, token) if token else "token: paste your bearer token"
    if not isinstance(outcome, Caller):
        log.info("console login refused", reason=outcome.split(":")[0])
        return _page("login.html", None, status=401, error=outcome, next=_safe_next(form.get("next", "")))
    log.info("console login", key_id=outcome.key_id, role=outcome.role)
    resp = RedirectResponse(_safe_next(form.get("next", "")), status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=_settings(request).console_secure_cookie,
                    path="/console", max_age=8 * 3600)
    return resp


@router.post("/logout")
async def logout(request: Request, v: Anyone) -> Response:
    check_csrf(request, v, (await _form(request)).get(CSRF_FIELD))
    resp = RedirectResponse("/console/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict",
                       secure=_settings(request).console_secure_cookie)
    return resp


@router.get("")
@router.get("/")
async def home(v: Anyone) -> Response:
    return RedirectResponse("/console/log", status_code=303)


# Live event log -----------------------------------------------------------------------------------
@router.get("/log")
async def event_log(request: Request, v: Anyone) -> HTMLResponse:
    f, shown = _filter(request, v)
    if (problem := unreadable_filter(shown)) is not None:
        return _page("refused.html", v, status=422, what=problem)
    pool = _pool(request)
    rows = [_row(r) for r in await console_store.log_rows(pool, f, limit=100)]
    head = await console_store.head_seq(pool)
    options = {c: await console_store.distinct_values(pool, c) for c in ("type", "producer", "organisation")}
    query = urlencode({k: val for k, val in shown.items() if val})
    return _page("log.html", v, rows=rows, shown=shown, head=head, options=options, query=query)


@router.get("/log/stream")
async def event_stream(request: Request, v: Anyone, after: int = 0) -> StreamingResponse:
    """Server-sent events: each record appended after `after` that matches the filters, as JSON."""
    f, shown = _filter(request, v)
    if (problem := unreadable_filter(shown)) is not None:
        raise HTTPException(422, problem)
    pool = _pool(request)
    token = request.cookies.get(COOKIE, "")
    resumed = request.headers.get("last-event-id", "")
    after = max(after, int(resumed) if resumed.isdigit() else 0)  # a reconnecting browser says where it was

    async def events():
        last, quiet, checked = after, 0.0, asyncio.get_running_loop().time()
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            rows = await console_store.log_rows(pool, f, after_seq=last, limit=200)
            for r in rows:
                last = r["seq"]
                yield f"id: {last}\nevent: record\ndata: {json.dumps(_row(r))}\n\n"
            now = asyncio.get_running_loop().time()
            if now - checked > 30:  # a revoked or expired credential ends the stream
                checked = now
                if not isinstance(await check_token(request, token), Caller):
                    yield "event: logout\ndata: {}\n\n"
                    return
            quiet = 0.0 if rows else quiet + 0.5
            if quiet >= 15:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/events/{event_id}")
async def event_detail(request: Request, event_id: UUID, v: Anyone) -> HTMLResponse:
    found = await console_store.event(_pool(request), event_id)
    if found is None or (v.organisation and found[0]["organisation"] != v.organisation):
        return _page("refused.html", v, status=404, what=f"no event {event_id} that you may see")
    row, envelope = found
    payload = envelope.pop("payload", {})
    return _page("event.html", v, row=_row(row), topic=row["topic"], partition=row["partition"],
                 offset=row["offset"], envelope=envelope, payload=json.dumps(payload, indent=2, sort_keys=True),
                 causation=envelope.get("causation_id"), correlation=envelope.get("correlation_id"))


# Client timeline ----------------------------------------------------------------------------------
@router.get("/clients")
async def find_client(request: Request, v: Anyone) -> Response:
    client = _uuid(request.query_params.get("client_id", "").strip())
    if client is None:
        return _page("refused.html", v, status=422, what="client_id: give a client id (a UUID)")
    return RedirectResponse(f"/console/clients/{client}", status_code=303)


@router.get("/clients/{client_id}")
async def timeline(request: Request, client_id: UUID, v: Anyone) -> HTMLResponse:
    rows = await console_store.envelopes(_pool(request), client_id=client_id, organisation=v.organisation)
    facts = _facts(rows)
    return _page("client.html", v, client_id=client_id, rows=[_row(r) for r, _ in rows],
                 state=client_state(facts), parts=PARTS)


# Consumer lag -------------------------------------------------------------------------------------
@router.get("/lag")
async def lag(request: Request, v: Operator) -> HTMLResponse:
    from audit.adapters.kafka_lag import read_lag

    settings = _settings(request)
    try:
        current = await read_lag(aiokafka_kwargs(settings))
        problem = None
    except Exception as exc:  # noqa: BLE001 - show the page anyway, with what went wrong
        current, problem = [], f"Kafka did not answer ({type(exc).__name__})"
    end = datetime.now(UTC)
    start = end - timedelta(hours=1)
    series: dict[str, list[tuple[datetime, float]]] = {}
    for s in await console_store.lag_since(_pool(request), start):
        series.setdefault(s["group_id"], []).append((s["sampled_at"], s["lag"]))
    chart = charts.line_chart("Consumer lag per group, last hour", series, start, end)
    return _page("lag.html", v, current=current, problem=problem, chart=chart,
                 interval=settings.lag_sample_interval_s)


# Dead letters -------------------------------------------------------------------------------------
@router.get("/dead-letters")
async def dead_letters(request: Request, v: Operator) -> HTMLResponse:
    q = request.query_params
    shown = {k: q.get(k, "").strip() for k in ("service", "error_class", "origin_topic")}
    pool = _pool(request)
    rows = await console_store.dead_letters(pool, **{k: val or None for k, val in shown.items()})
    return _page("dead_letters.html", v, rows=rows, shown=shown, counts=await console_store.dead_letter_counts(pool),
                 services=sorted(_settings(request).service_urls))


@router.get("/dead-letters/{dead_letter_id}")
async def dead_letter_detail(request: Request, dead_letter_id: int, v: Operator) -> HTMLResponse:
    pool = _pool(request)
    row = await console_store.dead_letter(pool, dead_letter_id)
    if row is None:
        return _page("refused.html", v, status=404, what=f"no dead letter {dead_letter_id}")
    return _page("dead_letter.html", v, d=row, redrives=await console_store.redrives(pool, dead_letter_id),
                 can_redrive=row["service"] in _settings(request).service_urls)


@router.post("/dead-letters/{dead_letter_id}/redrive")
async def redrive(request: Request, dead_letter_id: int, v: Operator) -> Response:
    check_csrf(request, v, (await _form(request)).get(CSRF_FIELD))
    pool, settings = _pool(request), _settings(request)
    row = await console_store.dead_letter(pool, dead_letter_id)
    if row is None:
        return _page("refused.html", v, status=404, what=f"no dead letter {dead_letter_id}")
    url, token = settings.service_urls.get(row["service"]), settings.service_tokens.get(row["service"])
    if not url or token is None:
        return _page("refused.html", v, status=409, what=f"no address or credential for {row['service']} in "
                                                         "audit's settings (AUDIT_SERVICE_URLS, AUDIT_SERVICE_TOKENS)")
    request_id = await console_store.open_redrive(pool, dead_letter_id, v.caller.key_id, datetime.now(UTC))
    log.info("redrive requested", dead_letter=dead_letter_id, service=row["service"], key_id=v.caller.key_id)
    answer = await redrive_client.redrive(url, token.get_secret_value(), row["dl_partition"], row["dl_offset"])
    await console_store.close_redrive(pool, request_id, answer.outcome, answer.detail, datetime.now(UTC))
    log.info("redrive answered", dead_letter=dead_letter_id, outcome=answer.outcome)
    return RedirectResponse(f"/console/dead-letters/{dead_letter_id}", status_code=303)


# Deadlines ----------------------------------------------------------------------------------------
DEADLINE_TYPES = ("ClientRegistered", "ClientSourceAdded", "ResponsibilityAssigned", "InitialInterviewScheduled",
                  "AssessmentStarted", "AssessmentCompleted", "PlanIssued", "PlanExtended", "PlanReviewed",
                  "PlanEnded", "ReferralMade", "ClientRelationshipEnded", "ClientErased")


SHOWN_DUES = 200  # per organisation, soonest first; the count says how many there are


@router.get("/deadlines")
async def deadlines(request: Request, v: Anyone) -> HTMLResponse:
    pool = _pool(request)
    dues = open_deadlines(_facts(await console_store.envelopes(pool, types=DEADLINE_TYPES)))
    missed = await console_store.envelopes(pool, types=("DeadlineMissed",), organisation=v.organisation)
    if v.organisation:
        dues = [d for d in dues if d.organisation == v.organisation]
    today = datetime.now(UTC).date()
    by_org: dict[str, list] = {}
    for d in dues:
        by_org.setdefault(d.organisation, []).append(d)
    counts = {org: len(items) for org, items in by_org.items()}
    shown = {org: items[:SHOWN_DUES] for org, items in by_org.items()}  # soonest first
    return _page("deadlines.html", v, by_org=shown, counts=counts, today=today,
                 missed=[(_row(r), env.get("payload") or {}) for r, env in missed[-SHOWN_DUES:][::-1]])


# Follow-up figures --------------------------------------------------------------------------------
FIGURE_TYPES = ("ClientRegistered", "ClientSourceAdded", "ClientDetailsChanged", "InitialInterviewScheduled",
                "AssessmentStarted", "PlanIssued", "PlanExtended", "ReferralMade", "DeadlineMissed",
                "CounsellingVisitRecorded", "NotificationSent", "NotificationFailed")
async def _figures(request: Request, v: Viewer) -> tuple[str, str, dict, list[str]]:
    if not v.municipalities:
        raise NotForViewer("the follow-up figures are for operators and the municipalities' officers")
    q = request.query_params
    municipality = q.get("municipality") or v.municipalities[0]
    if municipality not in v.municipalities:
        raise NotForViewer(f"municipality: you may see {', '.join(v.municipalities)}")
    today = datetime.now(UTC).date()
    half = q.get("half") or half_year(today)
    if not (len(half) == 6 and half[:4].isdigit() and half[4:] in ("H1", "H2")):
        raise NotForViewer("half: write it as 2026H1 or 2026H2")
    facts = _facts(await console_store.envelopes(_pool(request), types=FIGURE_TYPES))
    halves = sorted({half_year(today), half, *(half_year(f.occurred_at.date()) for f in facts)}, reverse=True)
    return municipality, half, figures(facts, municipality, half), halves


@router.get("/figures")
async def figures_page(request: Request, v: Anyone) -> HTMLResponse:
    municipality, half, figs, halves = await _figures(request, v)
    shown = [(key, FIGURES[key], charts.bar_chart(f"{FIGURES[key]}, {municipality} {half}",
                                                  [(r.label, r.value, r.unit) for r in figs[key]]))
             for key in FIGURES]
    return _page("figures.html", v, municipality=municipality, half=half, halves=halves, figures=shown,
                 query=urlencode({"municipality": municipality, "half": half}))


@router.get("/figures.csv")
async def figures_csv(request: Request, v: Anyone) -> Response:
    municipality, half, figs, _ = await _figures(request, v)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["municipality", "half_year", "figure", "label", "value", "unit"])
    for key in FIGURES:
        for r in figs[key]:
            w.writerow([municipality, half, key, r.label, f"{r.value:g}", r.unit])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        **SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="figures-{municipality}-{half}.csv"'})


# Trail integrity ----------------------------------------------------------------------------------
@router.get("/integrity")
async def integrity_page(request: Request, v: Operator) -> HTMLResponse:
    pool = _pool(request)
    async with pool.acquire() as conn:
        head = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_trail_head")
    return _page("integrity.html", v, head_seq=head["last_seq"], head_hash=bytes(head["last_hash"]).hex(),
                 last=await console_store.last_verification(pool),
                 anchoring=bool(_settings(request).anchor_signing_key.get_secret_value()))


@router.post("/integrity/verify")
async def verify_now(request: Request, v: Operator) -> Response:
    check_csrf(request, v, (await _form(request)).get(CSRF_FIELD))
    await run_verify(_settings(request), _pool(request))
    return RedirectResponse("/console/integrity", status_code=303)


async def run_verify(settings: AuditSettings, pool) -> integrity.Integrity:
    key = integrity.verify_key(settings.anchor_signing_key.get_secret_value(), settings.anchor_verify_key)
    try:
        messages = await anchor_log.read_all(aiokafka_kwargs(settings)) if key else None
    except Exception as exc:  # noqa: BLE001 - the chain is still checked; the result says anchors were not
        log.warning("anchors not read", error=type(exc).__name__)
        messages = None
    async with pool.acquire() as conn:
        result = await integrity.verify_all(conn, messages, key)
    await integrity.record(pool, result, datetime.now(UTC))
    return result

