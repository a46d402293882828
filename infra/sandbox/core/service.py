"""What a fake service is to the core, and how the core finds them.

The core (app, clock, faults, request log, control API) names no service: every folder
under ``infra/sandbox/services`` is a package exporting ``SERVICE``, a ``Service`` subclass,
and ``discover`` imports them all. Adding an outside service is adding one folder there.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from starlette.responses import Response

from infra.sandbox.core.clock import Clock
from infra.sandbox.core.faults import FaultFormat
from infra.sandbox.core.paths import service_prefix

#: Where services live; each folder in it is one service, named after the folder.
SERVICES_PACKAGE = "infra.sandbox.services"

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]
#: ``call(method, path, **httpx_arguments)`` on ``/_sandbox/<name><path>``; returns the JSON.
ControlCall = Callable[..., Any]


class ServiceError(RuntimeError):
    """A service folder that does not hold a usable service."""


class ServiceClient:
    """A service's part of the test client, ``sb.<name>``: its URL and its control calls."""

    def __init__(self, base_url: str, call: ControlCall) -> None:
        self.base_url = base_url
        self._call = call


@dataclass(frozen=True)
class Core:
    """What the core gives every service: the sandbox lock, the clock, the sandbox's URL,
    and, when the sandbox also listens with TLS, its ``https://`` URL and the CA file that
    clients must trust for it (see ``infra.sandbox.core.tls``)."""

    lock: threading.RLock
    clock: Clock
    sandbox_url: str
    secure_url: str | None = None
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Seeded:
    """What one service's seed made.

    ``env`` holds the variables the product's bootstrap reads to build its blocks against
    this sandbox; ``data`` what tests and the demo need besides (ids, page ids...).
    """

    env: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


class Service(FaultFormat, ABC):
    """One fake outside service: public routes under ``/<name>``, control routes under
    ``/_sandbox/<name>`` and ``sb.<name>`` in the test client.

    It keeps its own data in memory. Handlers run both on the event loop and in the
    threadpool, so every read-modify-write holds ``lock`` (one re-entrant lock for the
    whole sandbox, held only for short, non-blocking sections). Injected faults on its paths
    look like its own errors once it overrides ``FaultFormat``.
    """

    name: ClassVar[str]
    client: ClassVar[type[ServiceClient]] = ServiceClient
    #: The data sets ``seed`` makes; ``--seed`` offers the union over all services.
    seed_names: ClassVar[frozenset[str]] = frozenset()
    #: Reached over HTTPS: its ``base_url`` is on the sandbox's TLS listener (when there is
    #: one; the plain listener serves it too). For clients that insist on https.
    secure: ClassVar[bool] = False

    def __init__(self, core: Core) -> None:
        self.lock = core.lock
        self.clock = core.clock
        self.sandbox_url = core.sandbox_url.rstrip("/")
        self.secure_url = core.secure_url.rstrip("/") if core.secure_url else None
        self.ca_bundle = core.ca_bundle

    @property
    def root_url(self) -> str:
        """The sandbox's URL this service is reached on: the TLS one for a secure service."""
        if self.secure and self.secure_url:
            return self.secure_url
        return self.sandbox_url

    @property
    def base_url(self) -> str:
        """Where clients reach this service: ``<sandbox>/<name>`` (https when ``secure``)."""
        return self.root_url + service_prefix(self.name)

    @abstractmethod
    def routes(self) -> APIRouter:
        """The public routes, without prefix: the core mounts them under ``/<name>``."""

    def control_routes(self) -> APIRouter | None:
        """Routes the core mounts under ``/_sandbox/<name>``, if any."""
        return None

    def hosts(self) -> Sequence[str]:
        """Host names it serves besides ``/<name>``: exact (``news.test``) or ``*.suffix``.

        A request whose Host header matches reaches its routes at ``/host/<host><path>``
        (see ``infra.sandbox.core.hosts``); the default claims none.
        """
        return ()

    def root_paths(self) -> Sequence[str]:
        """Path prefixes at the sandbox's root it serves besides ``/<name>`` (``/upload/x/``).

        For clients that keep only the host of the URL they are given: a request whose path
        starts with one is rewritten to ``/<name><path>`` (see ``infra.sandbox.core.hosts``),
        so its routes declare the full path. The default claims none.
        """
        return ()

    def exception_handlers(self) -> dict[type[Exception], ExceptionHandler]:
        """Handlers for the exceptions its routes raise, added to the app."""
        return {}

    def reset(self) -> None:
        """Forget all its data (``POST /_sandbox/reset``); the default holds none."""

    def seed(self, name: str) -> Seeded:
        """Make the data set ``name``, one of ``seed_names``, replacing an earlier one."""
        raise KeyError(name)


def discover() -> list[type[Service]]:
    """Every service, in folder order.

    Nothing is skipped: a folder that fails to import or exports no proper ``SERVICE``
    stops the sandbox, as a test that silently lost its fake service would mislead.
    """
    package = importlib.import_module(SERVICES_PACKAGE)
    [root] = [Path(p) for p in package.__path__]
    found: list[type[Service]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if not entry.is_dir():
            raise ServiceError(f"{entry} is not a folder: services/ holds one folder per service")
        module = importlib.import_module(f"{SERVICES_PACKAGE}.{entry.name}")
        service = getattr(module, "SERVICE", None)
        if not (isinstance(service, type) and issubclass(service, Service)):
            raise ServiceError(f"{module.__name__} must export SERVICE, a Service subclass")
        if getattr(service, "name", None) != entry.name:
            raise ServiceError(
                f"{service.__qualname__}.name must be its folder's name, {entry.name!r}"
            )
        found.append(service)
    return found


def seed_names(services: Iterable[type[Service] | Service]) -> list[str]:
    """Every data set some service can make, sorted."""
    return sorted(set().union(*(service.seed_names for service in services)))


def apply_seed(services: Sequence[Service], name: str) -> dict[str, Any]:
    """Seed every service that has the data set ``name``; ``KeyError`` when none has.

    The answer is ``{"env": <every service's env, merged>, "<service>": <its data>, ...}``.
    """
    seeding = [service for service in services if name in service.seed_names]
    if not seeding:
        raise KeyError(name)
    env: dict[str, str] = {}
    answer: dict[str, Any] = {"env": env}
    for service in seeding:
        made = service.seed(name)
        clash = env.keys() & made.env.keys()
        if clash:
            raise ServiceError(f"{service.name} sets {sorted(clash)}, already set by another")
        env.update(made.env)
        answer[service.name] = made.data
    return answer
