"""The NAS share an audiobook library lives on: a folder tree, not an HTTP service.

The demo seed builds the demo library (`infra.demo_library`) in a folder this
sandbox owns and hands its path out as `AUDIOBOOK_LIBRARY`, which the bootstrap
saves as the `audiobook-library` block; a reset removes it. The
product reads the folder as it would read a mounted share.
"""

from __future__ import annotations

from pathlib import Path

from infra.demo_library import build
from infra.sandbox.core.folder import FolderService


class LibraryService(FolderService):
    name = "library"
    env_var = "AUDIOBOOK_LIBRARY"
    folder = "audiobooks"

    def build(self, target: Path) -> Path:
        return build(target)


SERVICE = LibraryService
