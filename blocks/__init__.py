"""Prefect block types for every external system the automations talk to.

`prefect block register -m blocks` registers every type exported here. Each block
that talks HTTP carries its base URL, so the same code runs against the real
service and against the sandbox in `infra/sandbox`.
"""

from blocks.camera import CameraPortal
from blocks.notion import NotionLinksSource

__all__ = ["CameraPortal", "NotionLinksSource"]
