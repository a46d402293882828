"""The sandbox's one camera portal (or none) and the control operations on it.

Every access holds the sandbox lock; rendering frames for listing digests happens after
the lock is released, from plans taken under it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from infra.sandbox.services.camera.model import (
    CameraPortal,
    FramePlan,
    image_url,
    iso_seconds,
    render,
)
from infra.sandbox.services.camera.specs import (
    ClockSpec,
    ExpireSpec,
    PortalSpec,
    build_portal,
    clock_ms,
)


class CameraState:
    """``portal`` is None until a test (or the demo seed) creates one."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.portal: CameraPortal | None = None

    def reset(self) -> None:
        """Remove the portal: every public route answers 404 again."""
        with self.lock:
            self.portal = None

    def install(self, spec: PortalSpec) -> CameraPortal:
        """Create or replace the portal; old sessions and counters go with the old one."""
        portal = build_portal(spec)
        with self.lock:
            self.portal = portal
        return portal

    def configure(self, spec: PortalSpec) -> dict[str, Any]:
        """``install`` plus every stream's current listing, for the control API."""
        portal = self.install(spec)
        return {"streams": {name: self.listed_frames(name) or [] for name in portal.streams}}

    def listed_frames(self, stream: str) -> list[dict[str, Any]] | None:
        """Frames the stream page lists now, with digests of what each serves.

        None when there is no portal or no such stream.
        """
        with self.lock:
            portal = self.portal
            if portal is None or stream not in portal.streams:
                return None
            entry = portal.streams[stream]
            plans = [
                FramePlan(stream, t, entry.kind_of(t), *entry.source_of(t), portal.image_size)
                for t in entry.listed(portal.now())
            ]
        frames = []
        for plan in plans:
            body = render(plan).body
            frames.append(
                {
                    "captured_at": iso_seconds(plan.frame_id),
                    "frame_id": plan.frame_id,
                    "url": image_url(stream, plan.frame_id),
                    "kind": plan.kind,
                    "sha256": hashlib.sha256(body).hexdigest() if body is not None else None,
                    "bytes": len(body) if body is not None else 0,
                }
            )
        return frames

    def stats(self) -> dict[str, int] | None:
        """Login counters and live sessions, or None without a portal."""
        with self.lock:
            portal = self.portal
            if portal is None:
                return None
            return {
                "logins": portal.logins,
                "failed_logins": portal.failed_logins,
                "sessions": len(portal.sessions),
            }

    def set_clock(self, spec: ClockSpec) -> dict[str, str | None] | None:
        """Fix or free the portal clock; None without a portal."""
        with self.lock:
            portal = self.portal
            if portal is None:
                return None
            portal.clock.set(clock_ms(spec.now))
            return {"now": iso_seconds(portal.now()) if portal.clock.fixed else None}

    def expire(self, spec: ExpireSpec) -> dict[str, int] | None:
        """Arm the session-expiry fault; None without a portal."""
        with self.lock:
            portal = self.portal
            if portal is None:
                return None
            portal.expire_sessions_after(spec.after_requests)
            return {"after_requests": spec.after_requests, "sessions": len(portal.sessions)}
