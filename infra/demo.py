"""Trigger one run of every deployment, wait for them, print a summary table."""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.stack import Stack


async def _run_all(
    parameters: dict[str, dict[str, Any]], last: set[str], timeout: float
) -> list[list[str]]:
    from prefect import get_client

    async with get_client() as client:
        deployments = await client.read_deployments()
        flows = {f.id: f.name for f in await client.read_flows()}
        names = sorted(f"{flows[d.flow_id]}/{d.name}" for d in deployments)
        deadline = time.monotonic() + timeout
        # deployments in `last` look at what the others did (the health check)
        first = await _start_and_wait(
            client, [n for n in names if n not in last], parameters, deadline
        )
        then = await _start_and_wait(client, [n for n in names if n in last], parameters, deadline)
        return first + then


async def _start_and_wait(client, names: list[str], parameters, deadline: float) -> list[list[str]]:
    from prefect.deployments import run_deployment

    runs = []
    for name in names:
        run = await run_deployment(
            name, parameters=parameters.get(name, {}), timeout=0, tags=["demo"]
        )
        runs.append((name, run.id))
    rows = []
    for name, run_id in runs:
        run = await client.read_flow_run(run_id)
        while not run.state.is_final() and time.monotonic() < deadline:
            await asyncio.sleep(1)
            run = await client.read_flow_run(run_id)
        rows.append([name, run.name, run.state.name, await _key_result(run.state)])
    return rows


async def _key_result(state) -> str:
    if not state.is_final():
        return "still running"
    if not state.is_completed():
        return state.message or ""
    try:
        return json.dumps(await state.aresult())
    except Exception as exc:  # a result that was not persisted still has a message
        return f"{state.message or ''} ({type(exc).__name__})"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, except the last (results can be long)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    widths.append(len(header[-1]))
    for i, row in enumerate([header, *rows]):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def run_every_deployment(
    stack: Stack, parameters: dict[str, dict[str, Any]], last: set[str], timeout: float = 600
) -> bool:
    """True when every run completed; the deployments in `last` start after the others."""
    os.environ.update(stack.env())
    rows = asyncio.run(_run_all(parameters, last, timeout))
    print()
    print_table(["deployment", "run", "state", "result"], rows)
    return all(r[2] == "Completed" for r in rows)
