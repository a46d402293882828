"""The download client wanted books are handed to: qBittorrent's Web API v2.

qBittorrent answers a wrong password with 200 "Fails." (not a 401) and, after a few
of those, bans the caller's address with 403: so a refused login is a ConfigError
naming the block (a retry would only bring the ban closer), never one that carries the
password. A session that expired mid-run (403 on a call) gets one new login.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from blocks.audiobooks import DownloadClient
from flows.audiobooks import DOWNLOAD_CLIENT_BLOCK
from flows.audiobooks.feed import USER_AGENT
from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.common.urls import shown_url


class HandOffRefused(PermanentError):
    """The client would not take a link ("Fails.": not a magnet link nor a torrent)."""


class QBittorrent:
    """A logged-in session with one qBittorrent Web UI; use as a context manager."""

    def __init__(self, block: DownloadClient, *, block_name: str = DOWNLOAD_CLIENT_BLOCK):
        self.block = block
        self.block_name = block_name
        root = block.url.rstrip("/")
        self._shown = shown_url(root)
        # qBittorrent's CSRF check compares Referer / Origin with its own host
        self._http = httpx.Client(
            base_url=f"{root}/api/v2",
            timeout=block.timeout_seconds,
            headers={"User-Agent": USER_AGENT, "Referer": root},
        )
        self._logged_in = False

    def __enter__(self) -> QBittorrent:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"{self.block_name} block: {self._shown} gave no answer within "
                f"{self.block.timeout_seconds:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(
                f"{self.block_name} block: {self._shown} unreachable ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 500:
            raise TransientError(
                f"{self.block_name} block: {self._shown} answered HTTP {response.status_code}"
            )
        return response

    def login(self) -> None:
        """Raises ConfigError when the client refuses the user and password or has banned
        this address; the message never carries the password."""
        response = self._send(
            "POST",
            "/auth/login",
            data={
                "username": self.block.username,
                "password": self.block.password.get_secret_value(),
            },
        )
        if response.status_code == 403:
            raise ConfigError(
                f"{self.block_name} block: login refused: {self._shown} has banned this "
                "address after too many failed logins (wait for the ban to end, then check "
                "the block's username and password)"
            )
        if response.status_code != 200 or response.text.strip() != "Ok.":
            raise ConfigError(
                f"{self.block_name} block: login refused for user {self.block.username!r} "
                f"at {self._shown} (wrong username or password)"
            )
        self._logged_in = True

    def _authed(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self._logged_in:
            self.login()
        response = self._send(method, path, **kwargs)
        if response.status_code == 403:  # the session ended: one new login
            self.login()
            response = self._send(method, path, **kwargs)
        if response.status_code == 403:
            raise ConfigError(f"{self.block_name} block: {self._shown} refused the session")
        if response.status_code >= 400:
            raise PermanentError(
                f"{self.block_name} block: {method} {path} answered HTTP {response.status_code}"
            )
        return response

    def version(self) -> str:
        return self._authed("GET", "/app/version").text.strip()

    def add(
        self,
        urls: Sequence[str],
        *,
        tags: Sequence[str] = (),
        category: str | None = None,
        save_path: str | None = None,
    ) -> None:
        """Hand magnet links or torrent URLs over; raises HandOffRefused on "Fails."."""
        form = {"urls": "\n".join(urls)}
        if tags:
            form["tags"] = ",".join(tags)
        if category:
            form["category"] = category
        if save_path:
            form["savepath"] = save_path
        response = self._authed("POST", "/torrents/add", data=form)
        if response.text.strip() != "Ok.":
            raise HandOffRefused(
                f"{self.block_name} block: {self._shown} refused to add the link(s) "
                f"({response.text.strip()[:80] or 'empty answer'})"
            )

    def torrents(self, *, tag: str | None = None, category: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("tag", tag), ("category", category)) if v is not None}
        response = self._authed("GET", "/torrents/info", params=params)
        try:
            found = response.json()
        except ValueError as exc:
            raise TransientError(
                f"{self.block_name} block: {self._shown} sent a torrent list that is not JSON"
            ) from exc
        if not isinstance(found, list):
            raise TransientError(f"{self.block_name} block: {self._shown} sent no torrent list")
        return found
