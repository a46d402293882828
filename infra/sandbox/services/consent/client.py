"""``sb.consent``: request counts per host and the hostile site's internal port."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from infra.sandbox.core.service import ServiceClient


class ConsentClient(ServiceClient):
    """Control calls of the consent sites (their pages are reached by host name)."""

    def site_url(self, domain: str, path: str = "/") -> str:
        """``http://<domain>:<sandbox port><path>``: how a browser mapping ``*.test`` to
        loopback reaches a site."""
        return f"http://{domain}:{urlsplit(self.base_url).port}{path}"

    def hits(self) -> dict[str, int]:
        """Requests per host name since the last reset."""
        return self._call("GET", "/hits")

    def set_internal_port(self, port: int) -> None:
        """Point evil-redirect.test's loopback redirect and subresource at ``port``."""
        self._call("PUT", "/internal-port", json={"port": port})

    def sites(self) -> list[dict[str, Any]]:
        """The sites and their expected verdicts."""
        return self._call("GET", "/sites")
