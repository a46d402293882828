"""`make demo`'s runs: every run the workflows declare, phase by phase, then one
line per deployment (final state and the run's own one-line summary; the full
result is in the UI)."""

from __future__ import annotations

import asyncio
import time
from itertools import groupby

from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from flows.common.workflows import DemoRun, workflows

SUMMARY_WIDTH = 100


def declared_runs() -> list[DemoRun]:
    """Every workflow's demo runs, in phase order (then workflow order)."""
    runs = [run for workflow in workflows() for run in workflow.demo]
    return sorted(runs, key=lambda run: run.phase)


def summary(run: FlowRun) -> str:
    """The run's state message, cut to one short line (a failure's is a traceback's head)."""
    if run.state is None or not run.state.is_final():
        return "still running"
    lines = (run.state.message or "").strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 3] + "..."


async def _phase(client: PrefectClient, runs: list[DemoRun], deadline: float) -> list[FlowRun]:
    started = [
        await run_deployment(
            run.deployment, parameters=dict(run.parameters), timeout=0, tags=["demo"]
        )
        for run in runs
    ]
    ended = []
    for flow_run in started:
        flow_run = await client.read_flow_run(flow_run.id)
        while not flow_run.state.is_final() and time.monotonic() < deadline:
            await asyncio.sleep(1)
            flow_run = await client.read_flow_run(flow_run.id)
        ended.append(flow_run)
    return ended


async def _run_all(timeout: float) -> list[list[str]]:
    deadline = time.monotonic() + timeout
    rows = []
    async with get_client() as client:
        for _, phase in groupby(declared_runs(), key=lambda run: run.phase):
            runs = list(phase)
            for run, flow_run in zip(runs, await _phase(client, runs, deadline), strict=True):
                rows.append([run.deployment, flow_run.name, flow_run.state.name, summary(flow_run)])
    return rows


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for i, row in enumerate([header, *rows]):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def run_declared(timeout: float = 600) -> bool:
    """Start every declared run against the server in PREFECT_API_URL; True when all completed."""
    rows = asyncio.run(_run_all(timeout))
    print()
    print_table(["deployment", "run", "state", "summary"], rows)
    return all(row[2] == "Completed" for row in rows)
