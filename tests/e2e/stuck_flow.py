"""A flow that waits on a host that never answers, with a 5-second timeout: what any of
the product's flows does when its host hangs, minus the hours of waiting."""

from __future__ import annotations

import httpx
from prefect import flow


@flow(name="stuck-for-test", timeout_seconds=5)
def stuck(url: str) -> int:
    return httpx.get(url, timeout=None).status_code
