"""The demo's webhook: failure notifications go to the ``alerts`` receiver."""

from __future__ import annotations

from infra.sandbox.core.service import Seeded

DEMO_ALERTS = "alerts"


def seed_demo(base_url: str) -> Seeded:
    """Nothing to create (every name receives); only the URL the product must post to."""
    return Seeded(env={"ALERTS_WEBHOOK_URL": f"{base_url}/{DEMO_ALERTS}"})
