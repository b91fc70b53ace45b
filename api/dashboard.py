"""The dashboard at `/`, its files, the OpenAPI pages, and the session summary it shows.

Everything a browser loads comes from this package (api/static/): the page, its script and
style, and the vendored libraries (api/static/vendor/, pinned npm releases with their
licences, listed in vendor.json): uPlot for the charts, swagger-ui-dist for /docs, Redoc for
/redoc. Nothing is fetched from a CDN, so the pages work on a machine without internet. There
is no build step: the page is plain HTML, CSS and a script the browser runs as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import FastAPI, Query
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import wire

if TYPE_CHECKING:
    from api.service import Service

STATIC = Path(__file__).parent / "static"
VENDORED = json.loads((STATIC / "vendor" / "vendor.json").read_text())


# The pages may load only from this server (Redoc's sidebar would fetch its maker's logo from
# a CDN: the browser refuses it, and Redoc hides the image that failed to load).
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
       "frame-ancestors 'self'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}


def _page(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(PAGE_HEADERS)
    return response


def vendored(package: str, file: str) -> str:
    """The URL of one file of a vendored npm package (its pinned version is in the path)."""
    return f"/static/vendor/{package}-{VENDORED[package]['version']}/{file}"


def install(app: FastAPI, service: Service, problems: dict) -> None:
    """The dashboard, its files, /docs and /redoc, and GET /v1/session (`problems`: the
    documented errors)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return _page(get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title}: API",
            swagger_js_url=vendored("swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css_url=vendored("swagger-ui-dist", "swagger-ui.css"),
            swagger_favicon_url=vendored("swagger-ui-dist", "favicon-32x32.png"),
            # no validator badge: it would send the schema to validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None}))

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _page(get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title}: API",
                                    redoc_js_url=vendored("redoc", "redoc.standalone.js"),
                                    redoc_favicon_url="/favicon.ico", with_google_fonts=False))

    @app.get("/v1/session", tags=["public"], responses=problems)
    async def session(history: Annotated[int, Query(ge=0, le=500)] = 200) -> dict:
        """The session panel: the fundamental behind the simulated index feed (with
        `--index-source feed`), the registered market makers' obligation compliance, and
        the clearinghouse's risk events (counts, no account named) and default waterfall."""
        store, watch = service.store, service.watch
        ob = watch.obligation
        return {
            "index_source": service.indices.source,
            "fundamental": {name: watch.fundamental_view(name, history)
                            for name in sorted(watch.fundamental)},
            "obligation": {"symbol": watch.symbol, "max_spread_ticks": ob.max_spread_ticks,
                           "min_size": ob.min_size, "min_presence": ob.min_presence},
            "market_makers": watch.makers_view(),
            "risk": {"margin_calls": store.risk["margin_call"],
                     "margin_calls_cured": store.risk["margin_call_cured"],
                     "liquidations": store.risk["liquidation_started"],
                     "positions_allocated": store.risk["positions_allocated"],
                     "defaults": store.risk["account_defaulted"]},
            "waterfall": [{"layer": layer, "amount": wire.cents_to_amount(amount)}
                          for layer, amount in sorted(store.waterfall.items())],
            "events": [{"kind": e["kind"], "seq": e["seq"], "ts": e["ts"]}
                       for e in list(store.risk_events)[-20:]],
        }
