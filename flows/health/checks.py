"""Health of the control plane as plain data: each check says ok, warning or critical.

The seed wrote a `.health` file and only logged its alerts; here the same
findings go to `data/health.json` (what a container health check reads), to a
markdown artifact, and fail the run when anything is critical, so Prefect's
failure notification is the alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flows.common.artifacts import markdown_table
from flows.common.health import CRITICAL, OK, WARNING, Check

_RANK = {OK: 0, WARNING: 1, CRITICAL: 2}
_BAD_STATES = {"FAILED", "CRASHED"}


@dataclass(frozen=True)
class DeploymentRuns:
    """What the Prefect API says about one deployment."""

    name: str
    last_state: str | None  # state name of the newest run that started, e.g. "Completed"
    last_state_type: str | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    next_state: str | None  # "Scheduled" or "Late"
    paused: bool


def disk(used_percent: float, warning: float, critical: float) -> Check:
    status = CRITICAL if used_percent >= critical else WARNING if used_percent >= warning else OK
    detail = f"{used_percent:.1f} % used (warning at {warning:g} %, critical at {critical:g} %)"
    return Check("disk", status, detail)


def deployment(runs: DeploymentRuns) -> Check:
    """A deployment whose last run failed is a warning: its own notification already fired."""
    parts = []
    if runs.last_state:
        parts.append(f"last {runs.last_state} at {runs.last_run_at.isoformat()}")
    else:
        parts.append("never ran")
    if runs.paused:
        parts.append("schedule paused")
    elif runs.next_run_at:
        parts.append(f"next {runs.next_run_at.isoformat()}")
        if runs.next_state == "Late":
            parts.append("late")
    status = OK
    if runs.last_state_type in _BAD_STATES or runs.next_state == "Late":
        status = WARNING
    return Check(f"deployment {runs.name}", status, "; ".join(parts))


def running_run(
    name: str,
    silent_for: timedelta | None,
    running_for: timedelta | None,
    zombie_after: timedelta,
    timeout: timedelta | None,
) -> Check | None:
    """A Running run whose heartbeats stopped (its host died) or that has outlived its
    flow's timeout is critical: it holds its deployment's slot and whatever it claimed."""
    if silent_for is not None and silent_for > zombie_after:
        return Check(
            f"run {name}",
            CRITICAL,
            f"Running but silent for {_duration(silent_for)} (no heartbeat for longer than "
            f"{_duration(zombie_after)}): its process or host is gone",
        )
    if timeout is not None and running_for is not None and running_for > timeout:
        return Check(
            f"run {name}",
            CRITICAL,
            f"Running for {_duration(running_for)}, longer than its timeout of "
            f"{_duration(timeout)}",
        )
    return None


def _duration(value: timedelta) -> str:
    minutes = value.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def overall(checks: Iterable[Check]) -> str:
    return max((c.status for c in checks), key=_RANK.__getitem__, default=OK)


def document(checks: list[Check], now: datetime) -> dict[str, object]:
    """The shape of data/health.json."""
    return {
        "status": overall(checks),
        "checked_at": now.isoformat(),
        "checks": [asdict(c) for c in checks],
    }


def markdown(checks: list[Check], now: datetime) -> str:
    """The worst findings first."""
    order = sorted(checks, key=lambda c: -_RANK[c.status])
    table = markdown_table(
        ["check", "status", "detail"], [(c.name, c.status, c.detail) for c in order]
    )
    return f"## Health: {overall(checks)} ({now:%Y-%m-%d %H:%M:%S} UTC)\n\n{table}"
