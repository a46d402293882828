"""Small pages served by Host name on loopback, for the scanner's own tests.

The consent sandbox serves the realistic sites; these pages isolate one behaviour
each (a redirect, a third-party cookie in a frame, a websocket to a private
address...). Every site is a dict of path -> handler on one server; the `Host`
header (without port) picks the site. Each server counts the requests it got, so a
test can prove a refused target saw nothing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, list[tuple[str, str]], str]  # status, headers, body
Handler = Callable[["Site", str], Answer]


def html(body: str, *headers: tuple[str, str], status: int = 200) -> Answer:
    return status, [("Content-Type", "text/html; charset=utf-8"), *headers], body


def redirect(location: str) -> Answer:
    return 302, [("Location", location)], ""


@dataclass
class Site:
    """A server answering several host names; `pages[(host, path)]` or `pages[path]`."""

    pages: dict = field(default_factory=dict)
    requests: Counter = field(default_factory=Counter)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> Site:
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                path = self.path.split("?", 1)[0]
                site.requests[(host, path)] += 1
                site.requests["*"] += 1
                handler = site.pages.get((host, path)) or site.pages.get(path)
                if handler is None:
                    status, headers, body = 404, [("Content-Type", "text/plain")], "not here"
                else:
                    status, headers, body = handler(site, host)
                data = body.encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer
            do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
