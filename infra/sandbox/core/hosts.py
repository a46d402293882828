"""Host-name routing: a service may claim host names, so one sandbox port serves many sites.

A browser that maps names such as ``*.test`` to the loopback address (Chromium's
``--host-resolver-rules``) sends ``Host: news.test:<port>``; first and third party are
then real (different registrable domains), though every site is this one process. A
request whose Host matches a service's pattern is rewritten to
``/<service>/host/<host><path>`` before anything else sees it, so the service's ordinary
routes, fault rules and the request log (which then shows the host in the path) all apply.
Requests by address (``127.0.0.1:<port>``) and control paths are never rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from infra.sandbox.core.paths import is_control_path, service_prefix

#: The path segment under a service's prefix that host-routed requests land in.
HOST_SEGMENT = "host"


def host_path(service: str, host: str, path: str = "/") -> str:
    """Where a request for ``host`` lands: ``/<service>/host/<host><path>``."""
    return f"{service_prefix(service)}/{HOST_SEGMENT}/{host}{path}"


def host_matches(pattern: str, host: str) -> bool:
    """``news.test`` matches itself; ``*.test`` matches any name ending in ``.test``."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def request_host(scope: Scope) -> str | None:
    """The Host header without its port, lower-cased (None when absent)."""
    for key, value in scope.get("headers") or []:
        if key == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):  # IPv6 literal: never a claimed name
                return host
            return host.rsplit(":", 1)[0] if ":" in host else host
    return None


class HostRoutingMiddleware:
    """Rewrites the path of requests whose Host a service claimed (first claim wins)."""

    def __init__(self, app: ASGIApp, claims: Sequence[tuple[str, str]]) -> None:
        self.app = app
        self.claims = list(claims)  # (pattern, service name)

    def service_for(self, host: str) -> str | None:
        """The service claiming ``host``, if any."""
        for pattern, service in self.claims:
            if host_matches(pattern, host):
                return service
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.claims and not is_control_path(scope["path"]):
            host = request_host(scope)
            service = self.service_for(host) if host else None
            if service is not None and host is not None:
                path = host_path(service, host, scope["path"])
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
        await self.app(scope, receive, send)


class RootPathMiddleware:
    """Rewrites ``<prefix>...`` to ``/<service><prefix>...`` for path prefixes a service
    claimed at the sandbox's root (``Service.root_paths``), first claim wins.

    google-api-python-client sends media uploads to ``https://<endpoint host>/upload/...``
    whatever path its ``api_endpoint`` has: the path is lost, only the host is kept. Like a
    host-routed one, the rewritten request then meets the service's routes, fault rules
    and the request log under its own prefix.
    """

    def __init__(self, app: ASGIApp, claims: Sequence[tuple[str, str]]) -> None:
        self.app = app
        self.claims = list(claims)  # (path prefix, service name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.claims:
            for prefix, service in self.claims:
                if scope["path"].startswith(prefix):
                    path = service_prefix(service) + scope["path"]
                    scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
                    break
        await self.app(scope, receive, send)
