"""Image requests over HTTP with the browser session's cookies.

One httpx client per stream, shared by `concurrent_downloads` threads (httpx's
client is thread-safe and pools connections). A request that lands on the
login page means the session expired; the caller logs in again and retries.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from blocks.camera import CameraPortal
from flows.camera.errors import PortalUnavailable, SessionExpired
from flows.camera.images import ImageRejected


class ImageFetcher:
    """GETs image URLs; raises by what the answer means for the frame."""

    def __init__(self, portal: CameraPortal, cookies: list[dict], concurrency: int):
        self._login_path = urlsplit(portal.url(portal.login_path)).path
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
            response = self.client.get(url)
        except httpx.TransportError as exc:
            # timeouts, refused connections, bodies cut short: all worth a retry
            raise PortalUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None
        # 401/403 on a frame the page just listed means our session, not the frame
        if urlsplit(str(response.url)).path == self._login_path or response.status_code in (
            401,
            403,
        ):
            raise SessionExpired(f"{url} sent us to the login page")
        status = response.status_code
        if status in (404, 410):
            raise ImageRejected("gone", f"{url} answered {status}")
        if status == 429 or status >= 500:
            raise PortalUnavailable(f"{url} answered {status}")
        if status >= 400:
            raise ImageRejected(f"http_{status}", f"{url} answered {status}")
        return response.content, response.headers.get("content-type")

    def close(self) -> None:
        self.client.close()
