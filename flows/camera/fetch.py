"""Image requests over HTTP with the browser session's cookies.

One httpx client per stream, shared by `concurrent_downloads` threads (httpx's
client is thread-safe and pools connections). A request that lands on the
login page means the session expired; the caller logs in again and retries.
A body is streamed, never read whole on trust: it may be no larger than the
block's `max_image_bytes` and take no longer than its `timeout_seconds` in all,
so a portal that trickles bytes or serves a disk image cannot hold a run.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx

from blocks.camera import CameraPortal
from flows.camera.errors import PortalUnavailable, SessionExpired
from flows.camera.images import ImageRejected


class ImageFetcher:
    """GETs image URLs; raises by what the answer means for the frame."""

    def __init__(self, portal: CameraPortal, cookies: list[dict], concurrency: int):
        self._login_path = urlsplit(portal.url(portal.login_path)).path
        self.max_bytes = portal.max_image_bytes
        self.deadline = portal.timeout_seconds
        self.client = httpx.Client(
            timeout=portal.timeout_seconds,
            follow_redirects=True,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.use_cookies(cookies)

    def use_cookies(self, cookies: list[dict]) -> None:
        """Take the browser's cookies (after a new login) for every later request."""
        self.client.cookies.clear()
        for c in cookies:
            self.client.cookies.set(c["name"], c["value"], domain=c["domain"], path=c["path"])

    def get(self, url: str) -> tuple[bytes, str | None]:
        """The body and content type, or SessionExpired / PortalUnavailable / ImageRejected."""
        try:
            with self.client.stream("GET", url) as response:
                self._check_status(url, response)
                return self._body(url, response), response.headers.get("content-type")
        except httpx.TransportError as exc:
            # timeouts, refused connections, bodies cut short: all worth a retry
            raise PortalUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None

    def _check_status(self, url: str, response: httpx.Response) -> None:
        # 401/403 on a frame the page just listed means our session, not the frame
        status = response.status_code
        if urlsplit(str(response.url)).path == self._login_path or status in (401, 403):
            raise SessionExpired(f"{url} sent us to the login page")
        if status in (404, 410):
            raise ImageRejected("gone", f"{url} answered {status}")
        if status == 429 or status >= 500:
            raise PortalUnavailable(f"{url} answered {status}")
        if status >= 400:
            raise ImageRejected(f"http_{status}", f"{url} answered {status}")

    def _body(self, url: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ImageRejected("too_large", f"{url} declares {declared} bytes")
        started, chunks, size = time.monotonic(), [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise ImageRejected("too_large", f"{url} sent more than {self.max_bytes} bytes")
            if time.monotonic() - started > self.deadline:
                raise PortalUnavailable(f"{url} took longer than {self.deadline:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.client.close()
