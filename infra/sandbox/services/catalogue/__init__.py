"""Fake audiobook catalogue under ``/catalogue``: new listings and per-genre top-10 lists as
RSS 2.0, Atom or JSON Feed, with honest ETag / Last-Modified, optional basic or bearer
auth, and the bad input a product must survive (a body that is no feed, an item without a
title)."""

from __future__ import annotations

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.catalogue import control, routes, seeds
from infra.sandbox.services.catalogue.client import CatalogueClient
from infra.sandbox.services.catalogue.state import CatalogueState


class CatalogueService(Service):
    """Feeds live in memory; every change moves the feed's Last-Modified forward."""

    name = "catalogue"
    client = CatalogueClient
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = CatalogueState(self.lock, self.clock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state, self.clock)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = CatalogueService
