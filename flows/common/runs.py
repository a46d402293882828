"""Is a flow run still alive? What Prefect says of its state and its heartbeats.

A worker host that dies (power, kill -9, a lost VM) takes its flow-run processes
with it, and nothing tells the server: the run stays Running. Prefect's zombie
automation marks it Crashed once its heartbeats stop, but nothing here rests on
that one automation alone: whoever must decide whether a run still holds
something (a claimed row, a concurrency slot) asks this module, and the health
check reports what it finds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.events.filters import (
    EventAnyResourceFilter,
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
)

HEARTBEAT = "prefect.flow-run.heartbeat"
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass(frozen=True)
class RunStatus:
    """One flow run as Prefect knows it."""

    id: str
    state_type: str  # "RUNNING", "COMPLETED", ...
    started: datetime | None
    last_heartbeat: datetime | None

    @property
    def is_final(self) -> bool:
        return self.state_type in FINAL_STATES

    def silent_for(self, now: datetime) -> timedelta | None:
        """Time since the run last gave a sign of life (its start or a heartbeat)."""
        signs = [t for t in (self.started, self.last_heartbeat) if t is not None]
        return now - max(signs) if signs else None

    def is_zombie(self, now: datetime, threshold: timedelta) -> bool:
        """Running, and silent for longer than `threshold`: its process is gone."""
        silent = self.silent_for(now)
        return self.state_type == "RUNNING" and silent is not None and silent > threshold


def read_runs(
    client: SyncPrefectClient, run_ids: Iterable[str], now: datetime, window: timedelta
) -> dict[str, RunStatus]:
    """The runs Prefect knows among `run_ids`, with their newest heartbeat in `window`.

    Ids that are no UUID (holders outside Prefect, such as a benchmark's loop) and
    runs Prefect does not know are left out: the caller decides what unknown means.
    """
    ids = []
    for run_id in set(run_ids):
        try:
            ids.append(uuid.UUID(run_id))
        except ValueError:
            continue
    if not ids:
        return {}
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
    return run_statuses(client, runs, now, window)


def run_statuses(
    client: SyncPrefectClient, runs: Iterable[FlowRun], now: datetime, window: timedelta
) -> dict[str, RunStatus]:
    """Runs already read, with the newest heartbeat in `window` of each Running one."""
    runs = list(runs)
    running = [str(r.id) for r in runs if r.state and r.state.type.value == "RUNNING"]
    beats = last_heartbeats(client, running, now - window, now) if running else {}
    return {
        str(r.id): RunStatus(
            id=str(r.id),
            state_type=r.state.type.value if r.state else "PENDING",
            started=r.start_time,
            last_heartbeat=beats.get(str(r.id)),
        )
        for r in runs
    }


def last_heartbeats(
    client: SyncPrefectClient, run_ids: list[str], since: datetime, until: datetime
) -> dict[str, datetime]:
    """The newest heartbeat event of each run between `since` and `until` (events API)."""
    resources = [f"prefect.flow-run.{run_id}" for run_id in run_ids]
    page = client.read_events(
        filter=EventFilter(
            event=EventNameFilter(name=[HEARTBEAT]),
            any_resource=EventAnyResourceFilter(id=resources),
            occurred=EventOccurredFilter(since=since, until=until),
        ),
        limit=50,  # the most one page of the events API holds
    )
    newest: dict[str, datetime] = {}
    while True:
        for event in page.events:
            run_id = event.resource.id.removeprefix("prefect.flow-run.")
            if run_id not in newest or event.occurred > newest[run_id]:
                newest[run_id] = event.occurred
        if not page.next_page:
            return newest
        page = client.read_events_page(page.next_page)
