"""``sb.cookieapi``: fill, change and lock the fake schedule API, read what it was asked."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class CookieApiClient(ServiceClient):
    """``base_url`` is the API root: the schedules are at ``<base_url>/schedules``."""

    @property
    def url(self) -> str:
        return f"{self.base_url}/schedules"

    def entries(self, entries: list[Any], replace: bool = False) -> int:
        """Add entries (served as given); one with an id already there replaces it."""
        body = {"entries": entries, "replace": replace}
        return self._call("POST", "/entries", json=body)["entries"]

    def remove(self, *ids: str) -> int:
        return self._call("POST", "/remove", json={"ids": list(ids)})["entries"]

    def on_call(self, call: int, entries: list[Any]) -> None:
        """Merge ``entries`` just before answering GET number ``call`` (1 = first)."""
        self._call("POST", "/on_call", json={"call": call, "entries": entries})

    def generate(
        self, count: int, prefix: str = "gen-", replace: bool = True, variant: int = 0
    ) -> int:
        """``count`` valid entries made by the sandbox (cheap for thousands)."""
        body = {"count": count, "prefix": prefix, "replace": replace, "variant": variant}
        return self._call("POST", "/generate", json=body)["entries"]

    def token(self, token: str | None) -> None:
        """Require this bearer token (None: no token needed)."""
        self._call("POST", "/token", json={"token": token})

    def raw(self, body: str | None, content_type: str = "application/json") -> None:
        """Serve ``body`` (200) instead of the entries; None serves the entries again."""
        self._call("POST", "/raw", json={"body": body, "content_type": content_type})

    def served(self) -> list[Any]:
        return self._call("GET", "/entries")

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")
