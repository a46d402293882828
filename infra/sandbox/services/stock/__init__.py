"""The demo's stock footage library: a folder of clips, a still and a music track, not an
HTTP service.

The demo seed makes the library (``library.build``) in a folder this sandbox owns and
hands its path out as ``VIDEO_ASSETS_DIR``, which the bootstrap saves as the
``video-assets`` LocalFileSystem block; a reset removes it. The product reads the folder
as it would read a folder of downloaded stock footage. The demo is kept clean (no
corrupt clip): the tests make their own broken files.
"""

from __future__ import annotations

from pathlib import Path

from infra.sandbox.core.folder import FolderService
from infra.sandbox.services.stock.library import build


class StockService(FolderService):
    name = "stock"
    env_var = "VIDEO_ASSETS_DIR"
    folder = "assets"

    def build(self, target: Path) -> Path:
        return build(target)


SERVICE = StockService
