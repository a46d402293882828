"""Headless Chromium for the workflows that need a real browser (camera portal,
consent banners): Debian's Chromium through Playwright.

Playwright's own browser download is not used: workers get Chromium from the
system's packages (`make install`), and these flags keep it from calling home on
a host without a display or an outside network.
"""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Playwright

from flows.common.errors import PermanentError

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class BrowserMissing(PermanentError):
    """No Chromium on this worker; retrying on the same host cannot help."""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise BrowserMissing(
            "Chromium is not installed on this worker: apt-get install chromium "
            "(make install does it when run as root)"
        )
    return path


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
