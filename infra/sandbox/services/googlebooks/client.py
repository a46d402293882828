"""``sb.googlebooks``: the fake Google Books' URLs and control calls."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


def volume(
    title: str,
    authors: list[str],
    *,
    isbn_13: str | None = None,
    isbn_10: str | None = None,
    language: str = "en",
    volume_id: str | None = None,
    **info: Any,
) -> dict[str, Any]:
    """A volume resource as Google answers it; ``info`` adds volumeInfo fields
    (subtitle, publisher, publishedDate, description, pageCount, categories...)."""
    identifiers = []
    if isbn_13:
        identifiers.append({"type": "ISBN_13", "identifier": isbn_13})
    if isbn_10:
        identifiers.append({"type": "ISBN_10", "identifier": isbn_10})
    body: dict[str, Any] = {
        "title": title,
        "authors": authors,
        "language": language,
        "industryIdentifiers": identifiers,
        **info,
    }
    resource: dict[str, Any] = {"volumeInfo": body}
    if volume_id:
        resource["id"] = volume_id
    return resource


class GoogleBooksClient(ServiceClient):
    """``base_url`` is the API root the product's block takes; ``batch_uri`` its batch URL."""

    @property
    def batch_uri(self) -> str:
        return f"{self.base_url}/batch/books/v1"

    def add_key(self, key: str, daily_quota: int = 1000, enabled: bool = True) -> str:
        self._call(
            "POST", "/keys", json={"key": key, "daily_quota": daily_quota, "enabled": enabled}
        )
        return key

    def add_volumes(
        self, *volumes: dict[str, Any], answers_isbns: list[str] | None = None
    ) -> list[str]:
        """Add volume resources (see ``volume``); ``answers_isbns``: ISBNs of other editions
        whose ``isbn:`` search answers with these volumes."""
        body = {"volumes": [{"volume": v, "answers_isbns": answers_isbns or []} for v in volumes]}
        return self._call("POST", "/volumes", json=body)["ids"]

    def settings(
        self, latency_ms: int | None = None, total_items_padding: int | None = None
    ) -> dict:
        body = {"latency_ms": latency_ms, "total_items_padding": total_items_padding}
        return self._call("POST", "/settings", json=body)

    def inject_429(self, per: str = "minute", times: int = 1) -> None:
        """The next ``times`` API requests answer 429, per-day or per-minute quota."""
        self._call("POST", "/inject-429", json={"per": per, "times": times})

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def api_requests(self) -> int:
        """volumes.list/get calls received (each part of a batch counts once)."""
        return int(self.stats()["api_requests"])
