"""The camera portal through a headless Chromium: log in, keep the session, list a
stream's images, and leave evidence when a page fails.

Only the login and the stream pages go through the browser (portals render
their lists with JavaScript); the images themselves are fetched over plain HTTP
with the browser's cookies (`fetch.py`), which is what makes concurrency cheap.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response, sync_playwright

from blocks.camera import CameraPortal
from flows.camera.errors import (
    LoginRefused,
    PermanentCameraError,
    PortalUnavailable,
    SessionExpired,
    StreamNotFound,
)
from flows.common.browser import launch_chromium
from flows.common.paths import atomic_write_bytes
from flows.common.times import parse_instant

_LIST_JS = "(els, [u, t]) => els.map(e => [e.getAttribute(u), e.getAttribute(t)])"


@dataclass(frozen=True)
class ListedImage:
    """One image as a stream page lists it."""

    captured_at: datetime
    url: str


@dataclass
class Listing:
    """A stream page's images, and the entries that could not be read (kept for the report)."""

    images: list[ListedImage] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


class PortalBrowser:
    """One Chromium for one stream task (Playwright's sync objects stay on one thread).

    The session (cookies, local storage) is loaded from and saved to
    `session_file`, so a run starts logged in when the previous one was.
    """

    def __init__(self, portal: CameraPortal, block_name: str, session_file: Path, failures: Path):
        self.portal = portal
        self.block_name = block_name
        self.session_file = session_file
        self.failures = failures
        self.logins = 0

    def __enter__(self) -> PortalBrowser:
        self._playwright = sync_playwright().start()
        try:
            self._browser = launch_chromium(self._playwright)
            state = str(self.session_file) if self.session_file.is_file() else None
            self._context = self._browser.new_context(storage_state=state)
            self._context.set_default_timeout(self.portal.timeout_seconds * 1000)
            self.page: Page = self._context.new_page()
        except BaseException:
            self._playwright.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    # pages -------------------------------------------------------------------

    def list_images(self, stream: str) -> Listing:
        """The images a stream page lists; logs in (once) when sent to the login page."""
        url = self.portal.url(self.portal.stream_path.format(stream=stream))
        response = self._goto(url, stream)
        if self._at_login():
            self.login(stream)
            response = self._goto(url, stream)
            if self._at_login():
                raise SessionExpired(f"the portal asked for a login again right after one ({url})")
        self._check(response, url, stream)
        raw = self.page.eval_on_selector_all(
            self.portal.image_selector,
            _LIST_JS,
            [self.portal.image_url_attribute, self.portal.captured_at_attribute],
        )
        listing = Listing()
        for href, when in raw:
            try:
                if not href:
                    raise ValueError(f"no {self.portal.image_url_attribute!r} attribute")
                at = parse_instant(when)
            except ValueError as exc:
                listing.unreadable.append(
                    f"{href or '?'}: {self.portal.captured_at_attribute}={when!r} ({exc})"
                )
                continue
            image_url = urljoin(self.page.url, href)
            if _origin(image_url) != _origin(self.portal.base_url):
                listing.unreadable.append(f"{image_url}: not on the portal's own host, not fetched")
                continue
            listing.images.append(ListedImage(at, image_url))
        return listing

    def login(self, stream: str = "login") -> None:
        """Submit the login form; the new session is saved for the next run."""
        portal = self.portal
        url = portal.url(portal.login_path)
        self._check(self._goto(url, stream), url, stream)
        self.page.fill(portal.username_selector, portal.username)
        self.page.fill(portal.password_selector, portal.password.get_secret_value())
        with self.page.expect_navigation(wait_until="load"):
            self.page.click(portal.submit_selector)
        if self._at_login():
            self.capture_failure(f"{stream}-login")
            raise LoginRefused(
                f"camera portal block {self.block_name!r}: the portal refused the login of "
                f"user {portal.username!r}; check the block's 'username' and 'password'"
            )
        self.logins += 1
        self.save_session()

    def cookies(self) -> list[dict]:
        return list(self._context.cookies())

    def save_session(self) -> None:
        """Write the storage state atomically and readable by this user only (it is a login)."""
        state = json.dumps(self._context.storage_state()).encode()
        atomic_write_bytes(self.session_file, state)
        os.chmod(self.session_file, 0o600)

    def capture_failure(self, label: str) -> None:
        """A screenshot and the HTML of the current page, under images/_failures/; the
        flow links whatever this run left there."""
        base = self.failures / f"{label}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        try:
            atomic_write_bytes(base.with_suffix(".html"), self.page.content().encode())
            atomic_write_bytes(base.with_suffix(".png"), self.page.screenshot(full_page=True))
        except PlaywrightError:
            pass  # a page that cannot even be captured still fails with its own error

    # helpers -----------------------------------------------------------------

    def _goto(self, url: str, label: str) -> Response | None:
        try:
            return self.page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            self.capture_failure(label)
            raise PortalUnavailable(f"{url}: {exc.message.splitlines()[0]}") from None

    def _at_login(self) -> bool:
        return (
            urlsplit(self.page.url).path == urlsplit(self.portal.url(self.portal.login_path)).path
        )

    def _check(self, response: Response | None, url: str, label: str) -> None:
        status = response.status if response is not None else 0
        if status < 400:
            return
        self.capture_failure(label)
        if status == 404:
            raise StreamNotFound(f"{url} answered 404: is {label!r} a stream of this portal?")
        if status == 429 or status >= 500:
            raise PortalUnavailable(f"{url} answered {status}")
        raise PermanentCameraError(f"{url} answered {status}")


def _origin(url: str) -> tuple[str, str]:
    """Scheme and host:port: a page may only send us to images of its own portal (the
    session cookie goes with every image request)."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
