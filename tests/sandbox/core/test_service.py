"""Service discovery: every folder under ``infra/sandbox/services`` is found and mounted,
and a broken one stops the sandbox instead of silently going missing."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx
import pytest

from infra.sandbox.core import service as service_module
from infra.sandbox.core.app import create_app
from infra.sandbox.core.client import Sandbox
from infra.sandbox.core.clock import Clock
from infra.sandbox.core.service import Core, ServiceClient, ServiceError, discover

SERVICES = [
    "camera",
    "catalogue",
    "consent",
    "cookieapi",
    "googlebooks",
    "library",
    "llm",
    "media",
    "notion",
    "qbittorrent",
    "webhooks",
    "youtube",
]
WITH_CONTROL = {
    "camera",
    "catalogue",
    "consent",
    "cookieapi",
    "googlebooks",
    "llm",
    "notion",
    "qbittorrent",
    "webhooks",
    "youtube",
}
SECURE = {"youtube"}
GOOD = """
from fastapi import APIRouter
from infra.sandbox.core.service import Service

class Good(Service):
    name = "{name}"

    def routes(self):
        return APIRouter()

SERVICE = Good
"""


def test_discovery_finds_exactly_the_service_folders() -> None:
    assert [service.name for service in discover()] == SERVICES


def test_every_service_is_mounted_with_its_routes_control_routes_and_client(sb: Sandbox) -> None:
    mounted = set(httpx.get(f"{sb.base_url}/_sandbox/openapi.json").json()["paths"])
    core = Core(threading.RLock(), Clock(), sb.base_url, sb.secure_url, sb.ca_bundle)
    for found in discover():
        service = found(core)
        public = {f"/{found.name}{r.path_format}" for r in service.routes().routes}
        assert public and public <= mounted, found.name
        control = service.control_routes()
        assert (control is not None) == (found.name in WITH_CONTROL), found.name
        if control is not None:
            paths = {f"/_sandbox/{found.name}{r.path_format}" for r in control.routes}
            assert paths and paths <= mounted, found.name
        client = getattr(sb, found.name)
        assert isinstance(client, found.client) and isinstance(client, ServiceClient)
        assert found.secure == (found.name in SECURE), found.name
        root = sb.secure_url if found.secure else sb.base_url
        assert client.base_url == service.base_url == f"{root}/{found.name}"


@pytest.fixture
def services_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty services package that discovery reads instead of the real one."""
    package = f"services_{uuid.uuid4().hex}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(service_module, "SERVICES_PACKAGE", package)
    return tmp_path / package


def add_service(folder: Path, name: str, init: str | None) -> None:
    (folder / name).mkdir()
    if init is not None:
        (folder / name / "__init__.py").write_text(init)


def test_a_good_folder_is_discovered(services_folder: Path) -> None:
    add_service(services_folder, "good", GOOD.format(name="good"))
    assert [service.name for service in discover()] == ["good"]


@pytest.mark.parametrize(
    ("init", "error", "message"),
    [
        ("raise ImportError('broken on purpose')", ImportError, "broken on purpose"),
        ("VALUE = 1", ServiceError, "must export SERVICE"),
        (None, ServiceError, "must export SERVICE"),
        (GOOD.format(name="other"), ServiceError, "its folder's name, 'broken'"),
    ],
    ids=["import error", "no SERVICE", "no __init__", "wrong name"],
)
def test_a_broken_folder_stops_discovery(
    services_folder: Path, init: str | None, error: type[Exception], message: str
) -> None:
    add_service(services_folder, "good", GOOD.format(name="good"))
    add_service(services_folder, "broken", init)
    with pytest.raises(error, match=message):
        discover()


def test_a_loose_module_is_no_service(services_folder: Path) -> None:
    (services_folder / "helpers.py").write_text("")
    with pytest.raises(ServiceError, match="one folder per service"):
        discover()


def test_a_service_cannot_take_a_core_control_name(services_folder: Path) -> None:
    add_service(services_folder, "faults", GOOD.format(name="faults"))
    with pytest.raises(ServiceError, match="'faults' is taken by the core"):
        create_app("http://127.0.0.1:1")
