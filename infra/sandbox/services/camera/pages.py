"""The portal's HTML: the login form, the stream index and the script-rendered frame list."""

from __future__ import annotations

import html
import json

from fastapi.responses import HTMLResponse

from infra.sandbox.services.camera.model import PREFIX, image_url, iso_seconds

_FRAME_SCRIPT = """(function () {
  var frames = JSON.parse(document.getElementById("frame-data").textContent);
  var list = document.getElementById("frames");
  frames.forEach(function (frame) {
    var link = document.createElement("a");
    link.className = "frame";
    link.setAttribute("href", frame.url);
    link.setAttribute("data-captured-at", frame.captured_at);
    link.textContent = frame.captured_at;
    var item = document.createElement("li");
    item.appendChild(link);
    list.appendChild(item);
  });
})();"""


def page(title: str, body: str) -> str:
    """A whole HTML document titled like the real portal's pages."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Camera portal</title></head>\n<body>{body}</body></html>\n"
    )


def login_page(next_path: str, error: bool) -> str:
    """The form; after a failed attempt it says so, as the real one does."""
    message = '<p class="error">Invalid user name or password</p>\n' if error else ""
    form = (
        f"<h1>Camera portal</h1>\n{message}"
        f'<form method="post" action="{PREFIX}/login">\n'
        '<label>User name <input name="username" autocomplete="username"></label>\n'
        '<label>Password <input name="password" type="password"></label>\n'
        f'<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">\n'
        '<button type="submit">Log in</button>\n</form>'
    )
    return page("Log in", form)


def stream_page(stream: str, frames: list[int]) -> str:
    """The list is embedded as JSON and built by script, so only a browser sees links."""
    data = [{"url": image_url(stream, t), "captured_at": iso_seconds(t)} for t in frames]
    embedded = json.dumps(data).replace("</", "<\\/")
    name = html.escape(stream)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{name} - Camera portal</title></head>\n"
        f'<body><h1>{name}</h1><ul id="frames"></ul>\n'
        f'<script id="frame-data" type="application/json">{embedded}</script>\n'
        f"<script>{_FRAME_SCRIPT}</script>\n</body></html>\n"
    )


def not_found(what: str) -> HTMLResponse:
    """404 with a human-readable reason."""
    return HTMLResponse(page("Not found", f"<h1>Not found</h1><p>{html.escape(what)}</p>"), 404)


def no_portal() -> HTMLResponse:
    """404 for every public route until a test creates a portal."""
    return not_found("No camera portal is configured (POST /_sandbox/camera/portal).")
