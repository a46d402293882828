"""A health finding, the one shape every workflow's health checks return.

The health check (`flows/health`) runs its own checks (database, disk, every
deployment's runs) and each workflow's declared ones (`Workflow.health`), and
reports them together; this module is what both sides agree on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OK, WARNING, CRITICAL = "ok", "warning", "critical"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


@dataclass(frozen=True)
class HealthContext:
    """What a workflow's check is given.

    `options` are the health deployment's settings for this one workflow (the
    `workflow_options` parameter, keyed by workflow name), passed to the check as
    keyword arguments, so a check's knobs live in its own signature.
    """

    app_db_block: str
    now: datetime
    stale_after_intervals: int = 2
    options: Mapping[str, Any] = field(default_factory=dict)
