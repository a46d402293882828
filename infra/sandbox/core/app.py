"""Assembles the sandbox: the core's control API, then every discovered service.

Each service's public routes go under ``/<name>``, its control routes under
``/_sandbox/<name>``, its exception handlers on the app. Fault injection and the request log
wrap them all; outside them, host routing sends a request for a host name a service claims
to that service's ``/<name>/host/<host>/...`` routes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from fastapi import FastAPI
from starlette.routing import BaseRoute

from infra.sandbox.core import control
from infra.sandbox.core.clock import Clock
from infra.sandbox.core.faults import GENERIC_FORMAT, FaultFormat, FaultMiddleware, FaultRules
from infra.sandbox.core.hosts import HostRoutingMiddleware, RootPathMiddleware
from infra.sandbox.core.paths import CONTROL_PREFIX, control_prefix, service_prefix
from infra.sandbox.core.requestlog import RequestLog, RequestLogMiddleware
from infra.sandbox.core.service import Core, Service, ServiceError, apply_seed, discover


def create_app(
    base_url: str,
    seed: str | None = None,
    *,
    secure_url: str | None = None,
    ca_bundle: str | None = None,
) -> FastAPI:
    """Build the app. ``base_url`` is how clients reach it (seeds put it in URLs);
    ``secure_url`` how they reach its TLS listener, if any, trusting ``ca_bundle``."""
    lock = threading.RLock()
    clock = Clock()
    faults = FaultRules(lock)
    log = RequestLog(lock, clock)
    core = Core(lock, clock, base_url, secure_url, ca_bundle)
    services = [service(core) for service in discover()]
    app = FastAPI(
        title="Sandbox of outside services",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
    )
    core_routes = control.build_router(lock, faults, log, services, core)
    _check_names(services, [*app.routes, *core_routes.routes])
    root_claims = _root_claims(services)
    app.include_router(core_routes)
    for service in services:
        app.include_router(service.routes(), prefix=service_prefix(service.name))
        routes = service.control_routes()
        if routes is not None:
            app.include_router(routes, prefix=control_prefix(service.name), tags=["control"])
        for exc_type, handler in service.exception_handlers().items():
            app.add_exception_handler(exc_type, handler)
    # Added later = further out: the log sees the final status, including injected faults.
    app.add_middleware(FaultMiddleware, rules=faults, format_for=_fault_formats(services))
    app.add_middleware(RequestLogMiddleware, log=log)
    # Outermost: the log, faults and routes see the rewritten path of a host-routed request.
    claims = [(pattern, service.name) for service in services for pattern in service.hosts()]
    app.add_middleware(HostRoutingMiddleware, claims=claims)
    app.add_middleware(RootPathMiddleware, claims=root_claims)
    if seed is not None:
        apply_seed(services, seed)
    return app


def _check_names(services: Sequence[Service], core_routes: Sequence[BaseRoute]) -> None:
    """A service named like a core control route (``faults``) would be shadowed by it."""
    taken = {"env"}  # a key of the seed answer
    for route in core_routes:
        path = getattr(route, "path", "")
        if path.startswith(CONTROL_PREFIX + "/"):
            taken.add(path.split("/")[2])
    for service in services:
        if service.name in taken:
            raise ServiceError(f"service name {service.name!r} is taken by the core")


def _root_claims(services: Sequence[Service]) -> list[tuple[str, str]]:
    """Every service's root path prefixes; one under ``/_sandbox`` or another service's
    ``/<name>/`` would steal that one's requests."""
    prefixes = [service_prefix(service.name) + "/" for service in services]
    claims: list[tuple[str, str]] = []
    for service in services:
        for prefix in service.root_paths():
            clash = [p for p in [CONTROL_PREFIX + "/", *prefixes] if prefix.startswith(p)]
            if not prefix.startswith("/") or clash:
                raise ServiceError(f"{service.name} cannot claim the root path {prefix!r}")
            claims.append((prefix, service.name))
    return claims


def _fault_formats(services: Sequence[Service]) -> Callable[[str], FaultFormat]:
    """The fault format of the service whose ``/<name>/`` prefix a path has, else generic."""
    by_prefix: dict[str, FaultFormat] = {
        service_prefix(service.name) + "/": service for service in services
    }

    def format_for(path: str) -> FaultFormat:
        return by_prefix.get(path[: path.find("/", 1) + 1], GENERIC_FORMAT)

    return format_for
