"""A service that is a folder, not an HTTP API: a share or a library on disk.

Some outside systems the product reads are folders (a NAS share of audiobooks, a stock
footage library). The sandbox owns such a folder: the demo seed builds it in a temporary
directory and hands its path out in one variable, a reset (and the sandbox's exit)
removes it, and ``GET /<name>/`` lists its files for a person looking at the demo.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service


class FolderService(Service):
    """Subclasses name the variable and build the folder's contents."""

    seed_names = frozenset({"demo"})
    #: The variable the seed hands the folder's path out as.
    env_var: ClassVar[str]
    #: The folder's name inside the temporary directory.
    folder: ClassVar[str]

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.tmp: Path | None = None
        self.root: Path | None = None
        atexit.register(self.reset)  # the demo's folder goes with the sandbox

    @abstractmethod
    def build(self, target: Path) -> Path:
        """Fill ``target`` with the demo data; return the folder the product reads."""

    def routes(self) -> APIRouter:
        router = APIRouter()

        @router.get("/")
        def listing() -> dict[str, object]:
            with self.lock:
                root = self.root
            if root is None:
                return {"root": None, "files": []}
            files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
            return {"root": str(root), "files": files}

        return router

    def reset(self) -> None:
        with self.lock:
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = self.root = None

    def seed(self, name: str) -> Seeded:
        self.reset()
        with self.lock:
            self.tmp = Path(tempfile.mkdtemp(prefix=f"sandbox-{self.name}-"))
            self.root = self.build(self.tmp / self.folder)
        return Seeded(env={self.env_var: str(self.root)}, data={"root": str(self.root)})
