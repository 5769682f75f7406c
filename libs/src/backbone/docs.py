"""`/docs`, `/redoc` and `/asyncapi` served with their scripts, styles and icons from the service
itself, so they work on a network without internet and load nothing from a CDN.

The assets come from two pinned Python packages (libs/pyproject.toml): `fastapi-offline` ships
Swagger UI, ReDoc and the favicon; `asyncapi-viewer` ships a web component that renders AsyncAPI 2
and 3 documents, with Subresource Integrity hashes. FastStream's own `/asyncapi` page (which loads
from a CDN) is replaced, and its `/asyncapi/try` endpoint is removed: it would publish any message,
unauthenticated, to the real broker with the service's own Kafka credentials.
"""

from __future__ import annotations

import html
from importlib.resources import files
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asyncapi_viewer import assets as viewer
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

SWAGGER_STATIC = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS = "/static/docs"
VIEWER_ASSETS = "/static/asyncapi"
ASYNCAPI = "/asyncapi"


def install(app: FastAPI, *, title: str, asyncapi: Mapping[str, Any] | None = None) -> None:
    """Serve the documentation pages from the service (with `strip_faststream_pages` on its router).
    `asyncapi`: the service's AsyncAPI document (`contracts.asyncapi`), served at `/asyncapi.json`
    instead of FastStream's, which knows only the FastStream publishers and subscribers."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_STATIC), name="docs-assets")
    app.mount(VIEWER_ASSETS, StaticFiles(directory=viewer.STATIC_DIR), name="asyncapi-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{title} - API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # its badge is fetched off-host

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{title} - API",
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)

    page = _asyncapi_page(title)

    @app.get(ASYNCAPI, include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(page)

    if asyncapi is not None:
        document = dict(asyncapi)

        @app.get(f"{ASYNCAPI}.json", include_in_schema=False)
        async def asyncapi_json() -> JSONResponse:
            return JSONResponse(document)


def strip_faststream_pages(router: Any, *, own_document: bool = False) -> None:
    """Drop FastStream's CDN page for `/asyncapi` and its try-it-out publisher from the docs routes
    the KafkaRouter adds to the app at start-up; keep its `/asyncapi.json` and `/asyncapi.yaml` unless
    the service serves its own document (`own_document`), which then is the only one."""
    docs_router = getattr(router, "docs_router", None)
    if docs_router is None:
        return
    docs_router.routes[:] = [r for r in docs_router.routes
                             if not (r.path == ASYNCAPI or r.path.startswith(f"{ASYNCAPI}/try")
                                     or (own_document and r.path.startswith(f"{ASYNCAPI}.")))]


def _asyncapi_page(title: str) -> str:
    script, theme = viewer.VIEWER_IIFE, viewer.VIEWER_THEME
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - events (AsyncAPI)</title>
<link rel="icon" type="image/png" href="{DOCS_ASSETS}/favicon.png">
<link rel="stylesheet" href="{VIEWER_ASSETS}/{theme}" integrity="{viewer.integrity(theme)}">
<script src="{VIEWER_ASSETS}/{script}" integrity="{viewer.integrity(script)}" defer></script>
</head>
<body>
<asyncapi-viewer src="{ASYNCAPI}.json"></asyncapi-viewer>
</body>
</html>
"""
