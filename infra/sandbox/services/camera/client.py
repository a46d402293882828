"""``sb.camera``: set up, inspect and disturb the fake camera portal."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class CameraClient(ServiceClient):
    """``base_url`` is the portal root: log in at ``<base_url>/login``."""

    def portal(
        self,
        streams: dict[str, dict[str, Any]],
        username: str = "camera-user",
        password: str = "camera-pass",
        now: str | None = None,
        image_size: tuple[int, int] | list[int] | None = None,
    ) -> dict[str, Any]:
        """Create/replace the portal; ``streams`` maps name to ``interval_seconds``,
        ``window``, ``kinds`` and ``frozen_from`` (all optional). ``now=None`` = wall clock.

        Returns ``{"streams": {name: frames(name)}}``.
        """
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "streams": streams,
            "now": now,
        }
        if image_size is not None:
            body["image_size"] = list(image_size)
        return self._call("POST", "/portal", json=body)

    def frames(self, stream: str) -> list[dict[str, Any]]:
        """Listed frames, newest first: ``captured_at``, ``frame_id``, ``url``, ``kind``,
        ``sha256`` (None when missing) and ``bytes`` of what the image URL serves."""
        return self._call("GET", f"/frames/{stream}")

    def clock(self, now: str | None) -> None:
        """Fix the portal clock at ``now`` (ISO), or back to the wall clock with None."""
        self._call("POST", "/clock", json={"now": now})

    def expire(self, after_requests: int) -> None:
        """Invalidate every session after that many more successful page/image requests."""
        self._call("POST", "/expire", json={"after_requests": after_requests})

    def stats(self) -> dict[str, Any]:
        """``{"logins", "failed_logins", "sessions"}`` of the current portal."""
        return self._call("GET", "/stats")
