"""One Chromium per worker process, driven from one event-loop thread.

Starting Chromium costs about a second and a hundred megabytes; a scan's pass needs
only a fresh browser context (tens of milliseconds, its own cookie jar). So the
process keeps one browser, started on first use and closed at exit, and every
scan's passes open contexts in it.

Prefect runs sync tasks in worker threads, and Playwright's sync objects belong to
the thread that made them. So Playwright runs async, on one dedicated thread with
its own event loop, and callers on any thread submit coroutines to it
(`BrowserPool.run`). That also lets one process run several scans and passes at
once: they interleave on the loop while Chromium does the work.

Two settings need the browser, not the context:
- third-party cookies: a Playwright context is an off-the-record profile, and
  Chromium blocks third-party cookies there by the `profile.cookie_controls_mode`
  preference (reason `UserPreferences` in DevTools). No switch or CDP command
  lifts it (`Network.setCookieControls` does not), but off-the-record profiles
  inherit it from their parent profile: so the browser is launched as a persistent
  context on a throw-away profile whose Preferences say "allow" (mode 0), and the
  scan's contexts are opened from its browser.
- secure origins: a cross-site cookie must be `SameSite=None; Secure`, and Chromium
  drops Secure cookies from plain-http origins. The sandbox serves plain http, so
  for an http URL template the names of the host map are declared secure
  (`--unsafely-treat-insecure-origin-as-secure`, exact origins only: Chromium refuses
  a wildcard over a whole top-level domain like `*.test`). The real web is https and
  needs none of it. Browsers are kept per set of such origins (normally one).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright

from flows.common.browser import CHROMIUM_FLAGS, chromium_path

log = logging.getLogger(__name__)
T = TypeVar("T")

# Chromium's WebRTC may send UDP to any address, past any proxy; this keeps it on the proxy.
WEBRTC_FLAG = "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"
# Each context's window carries the omnibox popup's WebUI renderers (two per window), which
# burn about 0.1 CPU-second per second each while a pass waits: half a scan's CPU on
# Debian's Chromium 156. The scanner never types in an omnibox.
DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxFullPopup", "WebUIOmniboxAimPopup")
PROFILE_PREFERENCES = {
    "profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False},
    "webrtc": {"ip_handling_policy": "disable_non_proxied_udp", "multiple_routes_enabled": False},
}


@dataclass
class _Browser:
    user_data_dir: Path
    persistent: BrowserContext
    browser: Browser


class BrowserPool:
    """The process's browsers and the loop thread that drives them."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="cookie-scan-browser", daemon=True
        )
        self._thread.start()
        self._playwright: Playwright | None = None
        self._browsers: dict[tuple[str, ...], _Browser] = {}
        self._lock: asyncio.Lock | None = None
        self._slots: dict[int, asyncio.Semaphore] = {}
        self.launches = 0  # how many browsers this pool started (the bench reads it)
        self.closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        if self.closed:
            coro.close()
            raise RuntimeError("the browser pool is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the browser thread and wait for its result (from any thread
        but that one)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("BrowserPool.run called from the browser thread itself")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def slots(self, size: int) -> asyncio.Semaphore:
        """A semaphore of `size` shared by every caller asking for that size (on the loop)."""
        if size not in self._slots:
            self._slots[size] = asyncio.Semaphore(size)
        return self._slots[size]

    async def browser(self, secure_origins: tuple[str, ...] = ()) -> Browser:
        """The browser for this set of secure origins, launched on first use."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        key = tuple(sorted(set(secure_origins)))
        async with self._lock:
            entry = self._browsers.get(key)
            if entry is not None and entry.browser.is_connected():
                return entry.browser
            if entry is not None:  # it crashed: start over
                await self._close_one(entry)
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            entry = await self._launch(self._playwright, key)
            self._browsers[key] = entry
            return entry.browser

    async def _launch(self, playwright: Playwright, secure_origins: tuple[str, ...]) -> _Browser:
        args = [*CHROMIUM_FLAGS, WEBRTC_FLAG]
        if secure_origins:
            args.append("--unsafely-treat-insecure-origin-as-secure=" + ",".join(secure_origins))
        # A second --disable-features would replace Playwright's own list (it keeps HTTP
        # navigations on HTTP, third-party storage unpartitioned...), so ours is appended
        # to the list a browser was really started with, read once from its command line.
        global _playwright_disabled
        if _playwright_disabled is None:
            entry = await self._start(playwright, args, ignore=[])
            own = _switch(_browser_cmdline(entry.user_data_dir), "--disable-features=")
            _playwright_disabled = own or ""
            await self._close_one(entry)
        own = _playwright_disabled
        merged = ",".join([f for f in own.split(",") if f] + list(DISABLED_FEATURES))
        entry = await self._start(
            playwright,
            [*args, f"--disable-features={merged}"],
            ignore=[f"--disable-features={own}"] if own else [],
        )
        self.launches += 1
        log.info("cookie scanner: Chromium %s started", entry.browser.version)
        return entry

    async def _start(self, playwright: Playwright, args: list[str], ignore: list[str]) -> _Browser:
        executable = chromium_path()
        user_data_dir = Path(tempfile.mkdtemp(prefix="cookie-scan-profile-"))
        (user_data_dir / "Default").mkdir()
        (user_data_dir / "Default" / "Preferences").write_text(json.dumps(PROFILE_PREFERENCES))
        try:
            persistent = await playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=executable,
                args=args,
                headless=True,
                ignore_default_args=ignore or None,
            )
        except BaseException:
            shutil.rmtree(user_data_dir, ignore_errors=True)
            raise
        browser = persistent.browser
        assert browser is not None, "Playwright gave a persistent context without a browser"
        return _Browser(user_data_dir, persistent, browser)

    async def _close_one(self, entry: _Browser) -> None:
        with contextlib.suppress(Exception):  # already gone
            await entry.persistent.close()
        shutil.rmtree(entry.user_data_dir, ignore_errors=True)

    async def _close_all(self) -> None:
        for entry in list(self._browsers.values()):
            await self._close_one(entry)
        self._browsers.clear()
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    def close(self, timeout: float = 30.0) -> None:
        """Close the browsers and stop the loop thread; the pool cannot be used after."""
        if self.closed:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(timeout)
        except Exception as exc:  # at exit there is nobody left to tell but the log
            log.warning("closing the scanner's browser failed: %s", exc)
        self.closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)


def _browser_cmdline(user_data_dir: Path) -> list[str]:
    """The command line of the browser process using this profile (from /proc)."""
    marker = f"--user-data-dir={user_data_dir}"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if marker in argv and not any(a.startswith("--type=") for a in argv):
            return argv
    return []


def _switch(argv: list[str], prefix: str) -> str | None:
    values = [a[len(prefix) :] for a in argv if a.startswith(prefix)]
    return values[-1] if values else None


_playwright_disabled: str | None = None  # Playwright's own --disable-features value
_pool: BrowserPool | None = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def get_pool() -> BrowserPool:
    """The process's pool, made on first use (a forked child makes its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool.closed or _pool_pid != os.getpid():
            _pool = BrowserPool()
            _pool_pid = os.getpid()
            atexit.register(_pool.close)
        return _pool


def close_pool() -> None:
    """Close the process's pool now (tests and benchmarks; atexit does it otherwise)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None
