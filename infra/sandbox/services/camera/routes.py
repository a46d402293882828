"""The public routes of the fake IP-camera web portal, scraped by the camera image flow.

The real portal is only usable through a browser session: every page and image needs the
``portal_session`` cookie, and the frame list is rendered by JavaScript, so a plain HTTP
scraper sees no links. The product logs in with Playwright, reads the links from the DOM and
downloads the images with httpx using the browser's cookies; this fake keeps all of that true.

  GET  /camera/login?next=/camera/...          login form
  POST /camera/login                           form username, password, next -> 303 + cookie
  GET  /camera/                                index linking every stream page
  GET  /camera/streams/{stream}                frame list, rendered client-side
  GET  /camera/images/{stream}/{frame_id}.jpg  one frame; ``frame_id`` = capture epoch seconds
Without a valid session, all but the login answer 302 to ``/camera/login?next=<path>``.
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from infra.sandbox.services.camera.model import PREFIX, CameraPortal, FramePlan, render
from infra.sandbox.services.camera.pages import login_page, no_portal, not_found, page, stream_page
from infra.sandbox.services.camera.state import CameraState

SESSION_COOKIE = "portal_session"
#: One spelling per frame (no leading zeros), as a real portal would only link that one.
_FRAME_FILE = re.compile(r"0|[1-9][0-9]{0,11}")


def _to_login(request: Request) -> RedirectResponse:
    query = urlencode({"next": request.url.path})
    return RedirectResponse(f"{PREFIX}/login?{query}", status_code=302)


def _safe_next(value: str) -> str:
    """Only portal paths: an open redirect would not exist on the real portal either."""
    if value.startswith(PREFIX + "/") and value.isprintable() and "\\" not in value:
        return value
    return PREFIX + "/"


def build_router(state: CameraState) -> APIRouter:
    """Portal routes; all state lives in ``state.portal``."""
    router = APIRouter()

    def signed_in(request: Request) -> CameraPortal | Response:
        """The portal when the request carries a live session, else the answer to send
        instead (no portal, or off to the login page). Called with ``state.lock`` held."""
        portal = state.portal
        if portal is None:
            return no_portal()
        if request.cookies.get(SESSION_COOKIE) not in portal.sessions:
            return _to_login(request)
        return portal

    @router.get("/login")
    async def login_form(next: str = PREFIX + "/") -> HTMLResponse:
        if state.portal is None:
            return no_portal()
        return HTMLResponse(login_page(next, error=False))

    @router.post("/login")
    async def login(request: Request) -> Response:
        fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)

        def field_value(name: str) -> str:
            return fields.get(name, [""])[0]

        next_path = field_value("next")
        token: str | None = None
        with state.lock:
            portal = state.portal
            if portal is None:
                return no_portal()
            user_ok = secrets.compare_digest(
                field_value("username").encode(), portal.username.encode()
            )
            password_ok = secrets.compare_digest(
                field_value("password").encode(), portal.password.encode()
            )
            if user_ok and password_ok:
                token = secrets.token_urlsafe(24)
                portal.sessions.add(token)
                portal.logins += 1
            else:
                portal.failed_logins += 1
        if token is None:
            return HTMLResponse(login_page(next_path or PREFIX + "/", error=True))
        response = RedirectResponse(_safe_next(next_path), status_code=303)
        response.headers.append(
            "set-cookie", f"{SESSION_COOKIE}={token}; Path={PREFIX}; HttpOnly; SameSite=Lax"
        )
        return response

    @router.get("/")
    async def index(request: Request) -> Response:
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            names = sorted(portal.streams)
        items = "".join(
            f'<li><a href="{PREFIX}/streams/{quote(n, safe="")}">{html.escape(n)}</a></li>'
            for n in names
        )
        return HTMLResponse(page("Streams", f'<h1>Streams</h1><ul id="streams">{items}</ul>'))

    @router.get("/streams/{stream}")
    async def stream(stream: str, request: Request) -> Response:
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            entry = portal.streams.get(stream)
            if entry is None:
                return not_found(f"No stream {stream!r}.")
            frames = entry.listed(portal.now())
            portal.count_success()
        return HTMLResponse(stream_page(stream, frames))

    @router.get("/images/{stream}/{frame_id}.jpg")
    def image(stream: str, frame_id: str, request: Request) -> Response:
        # Sync on purpose: JPEG generation runs in the threadpool, not on the event loop.
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            entry = portal.streams.get(stream)
            moment = int(frame_id) if _FRAME_FILE.fullmatch(frame_id) else None
            if entry is None or moment is None or not entry.exists(moment, portal.now()):
                return not_found(f"No frame {frame_id!r} in stream {stream!r}.")
            plan = FramePlan(
                stream, moment, entry.kind_of(moment), *entry.source_of(moment), portal.image_size
            )
            if plan.source_kind != "missing":
                portal.count_success()
        served = render(plan)
        if served.body is None:
            return not_found(f"Frame {frame_id} of {stream!r} was not recorded.")
        return Response(served.body, status_code=served.status, media_type=served.media_type)

    return router
