"""Fake IP-camera web portal under ``/camera``, scraped by the camera image flow through a
browser session. Everything the product has to survive is configurable per frame
(truncated JPEGs, an HTML page at a ``.jpg`` URL, empty bodies, gaps, a frozen camera
repeating its last picture) and the portal clock can be fixed, so tests know exactly which
frames exist."""

from __future__ import annotations

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.camera import control, routes, seeds
from infra.sandbox.services.camera.client import CameraClient
from infra.sandbox.services.camera.state import CameraState


class CameraService(Service):
    """The portal has a clock of its own: tests fix it per portal, the demo's runs free."""

    name = "camera"
    client = CameraClient
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = CameraState(self.lock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = CameraService
