"""The NAS share an audiobook library lives on: a folder tree, not an HTTP service.

The demo seed builds the demo library (`infra.demo_library`) in a folder this
sandbox owns and hands its path out as `AUDIOBOOK_LIBRARY`, which the bootstrap
saves as the `audiobook-library` block; a reset removes it. The
product reads the folder as it would read a mounted share.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter

from infra.demo_library import build
from infra.sandbox.core.service import Core, Seeded, Service


class LibraryService(Service):
    name = "library"
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.root: Path | None = None
        atexit.register(self.reset)  # the demo's folder goes with the sandbox

    def routes(self) -> APIRouter:
        """`GET /library/`: the share's files, for a person looking at the demo."""
        router = APIRouter()

        @router.get("/")
        def listing() -> dict[str, object]:
            with self.lock:
                root = self.root
            if root is None:
                return {"root": None, "files": []}
            files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
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
            self.root = Path(tempfile.mkdtemp(prefix="sandbox-library-"))
            library = build(self.root / "audiobooks")
        return Seeded(env={"AUDIOBOOK_LIBRARY": str(library)}, data={"root": str(library)})


SERVICE = LibraryService
