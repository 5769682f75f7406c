"""The guide's pages: server-rendered HTML from Jinja templates, every text from the gettext catalogues.

`create_router(source, settings)` gives an ASGI app that guidance mounts at /guide. URLs carry the
language (/guide/sv/help); /guide/ sends the reader to the first choice of their Accept-Language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from babel import Locale
from babel.dates import format_date, format_time, get_day_names
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from guide import contact, flyer, i18n
from guide.catalogue import CatalogueSource, OpeningHours, ServiceInfo
from guide.config import GuideSettings

HERE = Path(__file__).parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
STYLESHEET = (HERE / "static" / "guide.css").read_bytes()
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NAV = ("home", "help", "responsibility", "plan", "studies", "rights", "contact")
_SLUGS = {"home": "", **{page: page for page in NAV if page != "home"}}


def _label(_: i18n.Translator, prefix: str, code: str) -> str:
    return _(f"{prefix}.{code}") if _.has(f"{prefix}.{code}") else code


def _language_name(language: str, code: str) -> str:
    try:
        return Locale.parse(language).languages.get(code) or code
    except Exception:  # noqa: BLE001 - a locale Babel lacks: show the code
        return code


def _hours_rows(hours: list[OpeningHours], kind: str, language: str, _: i18n.Translator) -> list[dict[str, str]]:
    days = get_day_names("wide", locale=language)
    rows = sorted((h for h in hours if h.kind == kind), key=lambda h: (h.place, h.weekday, h.start))
    return [{"place": _label(_, "place", h.place), "day": days[h.weekday - 1],
             "time": f"{format_time(h.start, 'HH:mm', locale=language)}–{format_time(h.end, 'HH:mm', locale=language)}"}
            for h in rows]


def _service_rows(services: list[ServiceInfo], language: str, _: i18n.Translator) -> list[dict[str, Any]]:
    rows = []
    for s in services:
        if s.continuous or not s.start_dates:
            starts = _("studies.continuous")
        else:
            starts = ", ".join(format_date(d, "medium", locale=language) for d in s.start_dates)
        rows.append({"name": _label(_, "service", s.code), "provider": _label(_, "provider", s.provider),
                     "places": ", ".join(_label(_, "place", p) for p in s.places),
                     "languages": ", ".join(_language_name(language, code) for code in s.languages),
                     "pace": ", ".join(_label(_, "pace", p) for p in s.pace) or "–", "starts": starts})
    return rows


def create_router(source: CatalogueSource, settings: GuideSettings,
                  intake_client: httpx.AsyncClient | None = None) -> FastAPI:
    """The guide as an ASGI app to mount at /guide (its own routes, error pages and headers).
    `intake_client`: the HTTP client for intake (tests pass one); by default the guide opens its own."""
    http: dict[str, httpx.AsyncClient] = {} if intake_client is None else {"intake": intake_client}

    app = FastAPI(title="Public guide", docs_url=None, redoc_url=None, openapi_url=None)

    def client() -> httpx.AsyncClient:
        if "intake" not in http:  # opened on first use and kept for the process (a mounted app has no lifespan)
            http["intake"] = httpx.AsyncClient(timeout=settings.intake_timeout_s)
        return http["intake"]

    def root(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    def render(request: Request, language: str, page: str, status: int = 200, **context: Any) -> HTMLResponse:
        shown = i18n.page_language(language, page)
        _ = i18n.Translator(shown)
        notice = None
        if shown != language:
            notice = i18n.Translator(language)("fallback.notice", language=i18n.ENDONYMS[shown])
        base = root(request)
        html = TEMPLATES.get_template(f"{page}.html").render(
            _=_, lang=language, page_lang=shown, dir=i18n.direction(shown), page=page, root=base,
            notice=notice, notice_dir=i18n.direction(language) if language in i18n.PAGE_LANGUAGES else "ltr",
            nav=[(p, f"{base}/{language}/{_SLUGS[p]}") for p in NAV],
            languages=[(code, i18n.ENDONYMS[code], i18n.direction(code) if code in i18n.RTL else "ltr",
                        f"{base}/{code}/{_SLUGS[page]}") for code in i18n.LANGUAGES],
            settings=settings, **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def known(language: str) -> str:
        if language not in i18n.LANGUAGES:
            raise HTTPException(404)
        return language

    @app.get("/", include_in_schema=False)
    async def choose(request: Request) -> RedirectResponse:
        language = i18n.first_choice(request.headers.get("accept-language"))
        return RedirectResponse(f"{root(request)}/{language}/", status_code=303, headers={"Vary": "Accept-Language"})

    @app.get("/static/guide.css", include_in_schema=False)
    async def stylesheet() -> Response:
        return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600",
                                                                     "X-Content-Type-Options": "nosniff"})

    @app.get("/flyer/{name}.{kind}", include_in_schema=False)
    async def flyer_file(name: str, kind: str) -> Response:
        if kind not in ("pdf", "svg") or (name != "all" and name not in i18n.PAGE_LANGUAGES):
            raise HTTPException(404)
        languages = list(i18n.PAGE_LANGUAGES) if name == "all" else [name]
        if kind == "svg":
            return Response(flyer.svg(languages, settings.base), media_type="image/svg+xml")
        return Response(flyer.pdf(languages, settings.base), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="guide-flyer-{name}.pdf"'})

    async def hours_context(language: str) -> dict[str, Any]:
        shown = i18n.page_language(language, "help")
        _ = i18n.Translator(shown)
        hours = await source.opening_hours()
        return {"drop_in": _hours_rows(hours, "drop_in", shown, _),
                "appointments": _hours_rows(hours, "appointment", shown, _)}

    @app.get("/{language}/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request, language: str) -> HTMLResponse:
        language = known(language)
        return render(request, language, "home", **await hours_context(language))

    @app.get("/{language}/help", response_class=HTMLResponse, include_in_schema=False)
    async def help_page(request: Request, language: str) -> HTMLResponse:
        language = known(language)
        return render(request, language, "help", **await hours_context(language))

    @app.get("/{language}/responsibility", response_class=HTMLResponse, include_in_schema=False)
    async def responsibility(request: Request, language: str) -> HTMLResponse:
        return render(request, known(language), "responsibility")

    @app.get("/{language}/plan", response_class=HTMLResponse, include_in_schema=False)
    async def plan(request: Request, language: str) -> HTMLResponse:
        return render(request, known(language), "plan")

    @app.get("/{language}/studies", response_class=HTMLResponse, include_in_schema=False)
    async def studies(request: Request, language: str) -> HTMLResponse:
        language = known(language)
        shown = i18n.page_language(language, "studies")
        services = _service_rows(await source.published_services(), shown, i18n.Translator(shown))
        return render(request, language, "studies", services=services)

    @app.get("/{language}/rights", response_class=HTMLResponse, include_in_schema=False)
    async def rights(request: Request, language: str) -> HTMLResponse:
        return render(request, known(language), "rights")

    def contact_page(request: Request, language: str, form: contact.Form, status: int = 200) -> HTMLResponse:
        shown = i18n.page_language(language, "contact")
        return render(request, language, "contact", status=status, form=form, municipalities=contact.MUNICIPALITIES,
                      client_languages=[(code, i18n.ENDONYMS[code]) for code in i18n.LANGUAGES],
                      default_language=form.value("language") or shown)

    @app.get("/{language}/contact", response_class=HTMLResponse, include_in_schema=False)
    async def contact_form(request: Request, language: str) -> HTMLResponse:
        return contact_page(request, known(language), contact.Form())

    @app.post("/{language}/contact", response_class=HTMLResponse, include_in_schema=False)
    async def contact_send(request: Request, language: str) -> HTMLResponse:
        language = known(language)
        body = bytearray()
        async for chunk in request.stream():  # read no more than a form of ours can be
            body += chunk
            if len(body) > settings.max_form_bytes:
                raise HTTPException(413)
        body = bytes(body)
        form = contact.parse(body)
        shown = i18n.page_language(language, "contact")
        payload = contact.check(form, shown)
        if payload is None:
            return contact_page(request, language, form, status=422)
        result = await contact.forward(client(), str(settings.intake_url), payload, language=shown,
                                       client_address=request.client.host if request.client else None)
        if isinstance(result, contact.Sent):
            return render(request, language, "contact", sent=result.reference, form=contact.Form(),
                          municipalities=(), client_languages=(), default_language=shown)
        if isinstance(result, dict):
            form.errors.update(result)
            return contact_page(request, language, form, status=422)
        form.problem = result
        return contact_page(request, language, form, status=503 if result == "error.unavailable" else 429)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><html lang=\"en\"><title>{exc.status_code}</title>"
                            f"<p>{exc.status_code}</p></html>", status_code=exc.status_code, headers=SECURITY_HEADERS)

    return app
