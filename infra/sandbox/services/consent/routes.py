"""The consent sites' public routes: ``/consent/host/<host>/<path>``, which host routing
(``infra.sandbox.core.hosts``) sends every request for a claimed host name to.

The port of absolute URLs (a site's third parties, its links to other sites) comes from the
request's own Host header, so the pages work on whatever port the sandbox listens.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from infra.sandbox.services.consent import pages, sites
from infra.sandbox.services.consent.state import ConsentState

Handler = Callable[[Request, str, dict[str, str]], Response]
YEAR_S = 365 * 86400
#: Third-party cookies must be SameSite=None, which Chromium accepts only with Secure.
THIRD_PARTY_ATTRS = "; Path=/; Max-Age=31536000; SameSite=None; Secure"


def origins(request: Request) -> dict[str, str]:
    """``{ORIGIN}``-style placeholders for this request: every host on the request's port."""
    port = request.url.port or 80
    hostport = request.headers.get("host", "")
    if ":" in hostport and not hostport.startswith("["):
        port = int(hostport.rsplit(":", 1)[1])
    return {
        "ADS": f"http://{sites.ADS}:{port}",
        "WIDGETS": f"http://{sites.WIDGETS}:{port}",
        "BLOG": f"http://{sites.GENERIC.domain}:{port}",
        "PORT": str(port),
    }


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{NAME}`` placeholders (str.format would trip over JavaScript braces)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def html(text: str, values: dict[str, str], status: int = 200) -> HTMLResponse:
    return HTMLResponse(fill(text, values), status_code=status)


def not_found() -> Response:
    return HTMLResponse("<!doctype html><title>Not found</title><h1>Not found</h1>", 404)


# --- sites --------------------------------------------------------------------------------------


def news(request: Request, path: str, values: dict[str, str]) -> Response:
    if path not in ("/", "/world"):
        return not_found()
    response = html(pages.document("Daily News", pages.ONETRUST_BODY, pages.ONETRUST_JS), values)
    if "news_visitor" not in request.cookies:  # analytics id, before any consent
        response.set_cookie(
            "news_visitor", "nv1." + secrets.token_hex(6), max_age=YEAR_S, path="/", samesite="lax"
        )
    return response


def shop(request: Request, path: str, values: dict[str, str]) -> Response:
    page = pages.SHOP_PAGES.get(path.rstrip("/") or "/")
    if page is None:
        return not_found()
    title, body = page
    return html(pages.document(title, body + pages.COOKIEBOT_DIALOG, pages.COOKIEBOT_JS), values)


def ads(request: Request, path: str, values: dict[str, str]) -> Response:
    if path == "/tag.js":
        return Response(fill(pages.ADS_TAG_JS, values), media_type="application/javascript")
    if path == "/pixel.gif":
        response = Response(pages.PIXEL, media_type="image/gif")
        uid = request.cookies.get("_atid") or "at." + secrets.token_hex(6)
        response.headers.append("set-cookie", f"_atid={uid}{THIRD_PARTY_ATTRS}")
        return response
    return not_found()


def widgets(request: Request, path: str, values: dict[str, str]) -> Response:
    if path == "/widget.html":
        response = HTMLResponse(pages.WIDGET_FRAME)
        cookie = f"cw_session={secrets.token_hex(6)}{THIRD_PARTY_ATTRS}"
        response.headers.append("set-cookie", cookie)
        return response
    return not_found()


def travel(request: Request, path: str, values: dict[str, str]) -> Response:
    if path != "/":
        return not_found()
    return html(pages.document("Travel", pages.DIDOMI_BODY, pages.DIDOMI_JS), values)


def bank(request: Request, path: str, values: dict[str, str]) -> Response:
    if path != "/":
        return not_found()
    return html(pages.document("Bank", pages.USERCENTRICS_BODY, pages.USERCENTRICS_JS), values)


def magazine(request: Request, path: str, values: dict[str, str]) -> Response:
    if path != "/":
        return not_found()
    return html(pages.document("Magazine", pages.TCF_BODY, pages.QUANTCAST_JS), values)


def blog(request: Request, path: str, values: dict[str, str]) -> Response:
    if path != "/":
        return not_found()
    return html(pages.document("Blog", pages.GENERIC_BODY, pages.GENERIC_JS), values)


def evil(request: Request, path: str, values: dict[str, str]) -> Response:
    """Every way a page can point a scanner inward: a redirect to loopback, to the metadata
    address, to a private network, and a page loading subresources from both."""
    internal = f"http://127.0.0.1:{values['INTERNAL']}"
    redirects = {
        "/": f"{internal}/admin",
        "/metadata": sites.METADATA_URL,
        "/private": "http://192.168.0.1/",
    }
    if path in redirects:
        return RedirectResponse(redirects[path], status_code=302)
    if path == "/subresources":
        return html(pages.EVIL_SUBRESOURCES, {**values, "METADATA": sites.METADATA_URL})
    return not_found()


HANDLERS: dict[str, Handler] = {
    sites.ONETRUST.domain: news,
    sites.COOKIEBOT.domain: shop,
    sites.DIDOMI.domain: travel,
    sites.USERCENTRICS.domain: bank,
    sites.TCF.domain: magazine,
    sites.GENERIC.domain: blog,
    sites.EVIL: evil,
    sites.ADS: ads,
    sites.WIDGETS: widgets,
}


def build_router(state: ConsentState) -> APIRouter:
    """One catch-all route; the host in the path picks the site."""
    router = APIRouter()

    @router.get("/host/{host}/{path:path}", include_in_schema=True)
    async def site(host: str, path: str, request: Request) -> Response:
        state.hit(host)
        handler = HANDLERS.get(host)
        if handler is None:
            return not_found()
        values = {**origins(request), "INTERNAL": str(state.internal_port)}
        return handler(request, "/" + path, values)

    return router
