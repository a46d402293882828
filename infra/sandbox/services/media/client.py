"""``sb.media``: URLs on the fake media hosts."""

from __future__ import annotations

from infra.sandbox.core.service import ServiceClient


class MediaClient(ServiceClient):
    """The media hosts need no set-up: every path family always exists."""

    def url(self, kind_path: str) -> str:
        """``url("files/a.mp4")`` -> ``<base_url>/files/a.mp4``."""
        return f"{self.base_url}/{kind_path.lstrip('/')}"
