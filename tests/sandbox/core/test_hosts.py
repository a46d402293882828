"""Host-name routing: a request for a claimed host name lands under its service's prefix;
everything else (addresses, other names, control paths) is untouched."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from infra.sandbox.core.hosts import HostRoutingMiddleware, host_matches, host_path, request_host


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("news.test", "news.test", True),
        ("news.test", "NEWS.Test", True),
        ("news.test", "xnews.test", False),
        ("*.test", "a.test", True),
        ("*.test", "a.b.test", True),
        ("*.test", "test", False),
        ("*.test", ".test", False),
        ("*.test", "a.testing", False),
    ],
)
def test_patterns_are_exact_names_or_suffixes(pattern: str, host: str, matches: bool) -> None:
    assert host_matches(pattern, host) is matches


def test_the_host_header_loses_its_port() -> None:
    assert request_host({"headers": [(b"host", b"News.Test:4300")]}) == "news.test"
    assert request_host({"headers": [(b"host", b"news.test")]}) == "news.test"
    assert request_host({"headers": [(b"host", b"[::1]:4300")]}) == "[::1]:4300"
    assert request_host({"headers": []}) is None
    assert host_path("consent", "news.test", "/a") == "/consent/host/news.test/a"


def landing(host: str, path: str) -> str:
    """The path the app behind the middleware sees for a request."""
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])

    routed = HostRoutingMiddleware(app, claims=[("news.test", "sites"), ("*.ads.test", "ads")])
    scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"host", host.encode())]}
    asyncio.run(routed(scope, None, None))  # type: ignore[arg-type]
    return seen[0]


@pytest.mark.parametrize(
    ("host", "path", "lands_on"),
    [
        ("news.test:4300", "/world", "/sites/host/news.test/world"),
        ("cdn.ads.test", "/", "/ads/host/cdn.ads.test/"),
        ("127.0.0.1:4300", "/notion/v1/pages", "/notion/v1/pages"),
        ("other.test", "/", "/"),
        ("news.test", "/_sandbox/health", "/_sandbox/health"),
    ],
    ids=["claimed", "suffix", "address", "unclaimed", "control"],
)
def test_requests_land_where_their_host_says(host: str, path: str, lands_on: str) -> None:
    assert landing(host, path) == lands_on
