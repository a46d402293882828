"""The demo's stock footage library: a folder of clips, a still and a music track, not an
HTTP service (model: ``services/library``).

The demo seed makes the library (``library.build``) in a folder this sandbox owns and
hands its path out as ``VIDEO_ASSETS_DIR``, which the bootstrap saves as the
``video-assets`` LocalFileSystem block; a reset removes it. The product reads the folder
as it would read a folder of downloaded stock footage. The demo is kept clean (no
corrupt clip): the tests make their own broken files.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.stock.library import build


class StockService(Service):
    name = "stock"
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.root: Path | None = None
        atexit.register(self.reset)  # the demo's folder goes with the sandbox

    def routes(self) -> APIRouter:
        """`GET /stock/`: the library's files, for a person looking at the demo."""
        router = APIRouter()

        @router.get("/")
        def listing() -> dict[str, object]:
            with self.lock:
                root = self.root / "assets" if self.root is not None else None
            if root is None:
                return {"root": None, "files": []}
            files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
            return {"root": str(root), "files": files}

        return router

    def reset(self) -> None:
        with self.lock:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    def seed(self, name: str) -> Seeded:
        self.reset()
        with self.lock:
            self.root = Path(tempfile.mkdtemp(prefix="sandbox-stock-"))
            library = build(self.root / "assets")  # the listing's root too
        return Seeded(env={"VIDEO_ASSETS_DIR": str(library)}, data={"root": str(library)})


SERVICE = StockService
