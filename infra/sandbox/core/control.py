"""The core's control API under ``/_sandbox``: how tests and the demo set up and inspect the
sandbox as a whole. Each service adds its own under ``/_sandbox/<name>``.

Never faulted and never written to the request log, so assertions on traffic only see
what the product itself sent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException

from infra.sandbox.core.faults import FaultRules, FaultSpec
from infra.sandbox.core.paths import CONTROL_PREFIX
from infra.sandbox.core.requestlog import RequestLog
from infra.sandbox.core.service import Core, Service, apply_seed, seed_names


def build_router(
    lock: threading.RLock,
    faults: FaultRules,
    log: RequestLog,
    services: Sequence[Service],
    core: Core | None = None,
) -> APIRouter:
    """Health, TLS, reset, seeds, fault rules and the request log."""
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["control"])

    @router.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/tls")
    async def tls() -> dict[str, str | None]:
        """The TLS listener's URL and the CA file its clients trust (None without one)."""
        return {
            "url": core.secure_url if core else None,
            "ca_bundle": core.ca_bundle if core else None,
        }

    @router.post("/reset")
    async def reset() -> dict[str, bool]:
        with lock:  # no request sees half a reset
            faults.reset()
            log.reset()
            for service in services:
                service.reset()
        return {"ok": True}

    @router.post("/seed/{name}")
    async def seed(name: str) -> dict[str, Any]:
        known = seed_names(services)
        if name not in known:
            raise HTTPException(404, f"unknown seed {name!r}; known: {known}")
        return apply_seed(services, name)

    @router.post("/faults")
    async def add_fault(spec: FaultSpec) -> dict[str, str]:
        return {"id": faults.add(spec.to_rule()).id}

    @router.get("/faults")
    async def list_faults() -> list[dict[str, Any]]:
        return faults.to_json()

    @router.delete("/faults")
    async def clear_faults() -> dict[str, bool]:
        faults.clear()
        return {"ok": True}

    @router.delete("/faults/{fault_id}")
    async def delete_fault(fault_id: str) -> dict[str, bool]:
        if not faults.delete(fault_id):
            raise HTTPException(404, f"no fault {fault_id}")
        return {"ok": True}

    @router.get("/requests")
    async def list_requests(path: str | None = None, method: str | None = None) -> list[dict]:
        try:
            pattern = re.compile(path) if path else None
        except re.error as exc:
            raise HTTPException(400, f"invalid path regex: {exc}") from exc
        return log.to_json(pattern, method)

    @router.delete("/requests")
    async def clear_requests() -> dict[str, bool]:
        log.clear()
        return {"ok": True}

    return router
