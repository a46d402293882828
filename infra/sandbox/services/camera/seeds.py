"""The demo's camera portal: fixed credentials, streams ``in_gate`` and ``out_gate``, every
frame good. It runs on the wall clock, so a demo sees new frames appear every ten minutes
just as with the real cameras."""

from __future__ import annotations

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.camera.specs import PortalSpec, StreamSpec
from infra.sandbox.services.camera.state import CameraState

DEMO_USERNAME = "camera-demo"
DEMO_PASSWORD = "camera-demo-password"
DEMO_STREAMS = ("in_gate", "out_gate")


def seed_demo(state: CameraState, base_url: str) -> Seeded:
    """Create (or re-create) the demo portal; ``base_url`` is the portal's root."""
    spec = PortalSpec(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        streams={name: StreamSpec(interval_seconds=600, window=12) for name in DEMO_STREAMS},
        now=None,
    )
    state.install(spec)
    env = {
        "CAMERA_URL": base_url,
        "CAMERA_USERNAME": DEMO_USERNAME,
        "CAMERA_PASSWORD": DEMO_PASSWORD,
        "CAMERA_STREAMS": ",".join(DEMO_STREAMS),
    }
    data = {
        "base_url": base_url,
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD,
        "streams": list(DEMO_STREAMS),
    }
    return Seeded(env=env, data=data)
