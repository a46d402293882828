"""Fake qBittorrent under ``/qbittorrent``: the Web API v2 subset a product hands downloads
to (login cookie, add, list), with qBittorrent's answers ("Ok.", "Fails.", 403) and its
ban after too many failed logins."""

from __future__ import annotations

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.qbittorrent import control, routes, seeds
from infra.sandbox.services.qbittorrent.client import QbittorrentClient
from infra.sandbox.services.qbittorrent.state import QbittorrentState


class QbittorrentService(Service):
    """One account, admin / adminadmin until a test or seed sets another."""

    name = "qbittorrent"
    client = QbittorrentClient
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = QbittorrentState(self.lock, self.clock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = QbittorrentService
