"""Schedule sync at scale: 10,000 domains from the sandbox's schedule API into a fresh
app database and a real Prefect server's `cookie-scan/per-domain` deployment.

A temporary `prefect server start` (SQLite, its own PREFECT_HOME) and the sandbox run as
processes; the sync runs the product's own steps in this process, exactly as the
`cookie-schedule-sync` flow chains them (fetch over HTTP, check every entry, bulk upsert,
reconcile through the Prefect client), with the client's requests counted by an httpx
event hook:

- initial_sync_s: 10,000 schedules from empty (goal <= 120);
- noop_resync_writes / noop_resync_s: the same answer again (goals 0 and <= 10);
- one_percent_change_calls: Prefect API requests (the read included) after the API
  changed 100 entries (goal <= 300).

The server's scheduler is off while the sync is measured (its inserts would share the
server's SQLite with the sync), then the server is restarted with it on (loop every
`--scheduler-loop` s) and scheduler_first_runs_s / scheduler_min_runs_s say how long it
took until the deployment had one, then `min_runs` (3, Prefect's default), scheduled
runs per schedule.

    .venv/bin/python bench/cookie_sync.py [--schedules 10000] [--scheduler-timeout 900]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import Engine

from blocks.cookie_scan import CookieScheduleApi
from flows.common.db import engine_from_url, migrate
from flows.cookie_scan.reconcile import reconcile
from flows.cookie_scan.schedule_api import fetch_entries
from flows.cookie_scan.schedules import upsert_entries
from flows.cookie_scan.validation import check_entries
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.cookieapi.seeds import generated
from infra.stack import Stack

FLOW, NAME = "cookie-scan", "per-domain"
DEPLOYMENT = f"{FLOW}/{NAME}"
MIN_RUNS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sync_once(block: CookieScheduleApi, engine: Engine) -> dict:
    """One sync as the flow does it; the Prefect requests it sent, by method."""
    sent: list[str] = []

    def hook(request: httpx.Request) -> None:
        sent.append(request.method)

    start = time.perf_counter()
    raw = fetch_entries(block)
    checked = check_entries(raw)
    with engine.begin() as conn:
        stored = upsert_entries(conn, checked)
    settings = {"event_hooks": {"request": [hook]}, "timeout": 300}
    with get_client(sync_client=True, httpx_settings=settings) as client:
        sent.clear()  # the client's own start-up check is not the sync's
        result = reconcile(engine, client, DEPLOYMENT)
    elapsed = time.perf_counter() - start
    return {
        "seconds": round(elapsed, 2),
        "requests": len(sent),
        "writes": sum(1 for m in sent if m != "GET"),
        "database": stored.counts(),
        "prefect": result.counts(),
    }


def measure_sync(stack: Stack, sb: Sandbox, folder: Path, count: int, app_db: str | None):
    engine = engine_from_url(app_db or f"sqlite:///{folder / 'app.db'}")
    migrate(engine)
    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        with get_client(sync_client=True) as client:
            flow_id = client.create_flow_from_name(FLOW)
            deployment_id = client.create_deployment(flow_id=flow_id, name=NAME)
        sb.cookieapi.generate(count, prefix="bench-")
        block = CookieScheduleApi(url=sb.cookieapi.url, timeout_seconds=60)
        initial = sync_once(block, engine)
        print(f"initial: {initial}", flush=True)
        assert initial["database"]["created"] == count, initial
        assert initial["prefect"]["created"] == count, initial
        noop = sync_once(block, engine)
        print(f"noop: {noop}", flush=True)
        changed = copy.deepcopy(generated(count, prefix="bench-")[:: max(1, count // 100)][:100])
        for item in changed:
            item["data"]["maxPages"] = 2  # a profile change: database only
            item["data"]["schedule"]["time"]["minute"] = 59 - (
                item["data"]["schedule"]["time"].get("minute", 0) or 0
            )
            if len(item["data"]["schedule"]["frequency"].split()) == 5:
                item["data"]["schedule"]["frequency"] = "7 7 * * 1-5"
        sb.cookieapi.entries(changed)
        change = sync_once(block, engine)
        print(f"one percent: {change}", flush=True)
        assert change["database"]["updated"] == len(changed), change
    engine.dispose()
    return deployment_id, initial, noop, change


def measure_scheduler(stack: Stack, deployment_id, count: int, timeout: float, loop: float):
    stack.stop("server")
    stack.extra_env.update(
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="true",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS=str(loop),
    )
    started = time.perf_counter()
    stack.start_server()
    ready = time.perf_counter() - started
    first = full = None
    seen = 0
    deadline = started + timeout
    with (
        temporary_settings(updates={PREFECT_API_URL: stack.api_url}),
        get_client(sync_client=True, httpx_settings={"timeout": 120}) as client,
    ):
        only = DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        while time.perf_counter() < deadline:
            seen = client.count_flow_runs(deployment_filter=only)
            now = time.perf_counter() - started
            if first is None and seen >= count:
                first = now
            if seen >= MIN_RUNS * count:
                full = now
                break
            time.sleep(2)
    print(f"scheduler: {seen} runs; first {first}, full {full}", flush=True)
    return {
        "scheduler_server_ready_s": round(ready, 1),
        "scheduler_first_runs_s": round(first, 1) if first is not None else None,
        "scheduler_min_runs_s": round(full, 1) if full is not None else None,
        "scheduler_runs_created": seen,
        "scheduler_loop_seconds": loop,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--scheduler-timeout", type=float, default=900)
    parser.add_argument("--scheduler-loop", type=float, default=5)
    parser.add_argument("--app-db-url", help="app database (default: a temporary SQLite file)")
    parser.add_argument("--skip-scheduler", action="store_true", help="the sync numbers only")
    args = parser.parse_args()
    with Sandbox.start() as sb, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stack = Stack(
            home=folder / "prefect-home",
            run_dir=folder / "run",
            data_dir=folder / "data",
            api_port=free_port(),
            sandbox_port=sb.port,
            extra_env={"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"},
        )
        try:
            stack.start_server()
            deployment_id, initial, noop, change = measure_sync(
                stack, sb, folder, args.schedules, args.app_db_url
            )
            scheduler = {}
            if not args.skip_scheduler:
                scheduler = measure_scheduler(
                    stack,
                    deployment_id,
                    args.schedules,
                    args.scheduler_timeout,
                    args.scheduler_loop,
                )
        finally:
            stack.down()
    result = {
        "initial_sync_s": initial["seconds"],
        "noop_resync_writes": noop["writes"],
        "noop_resync_s": noop["seconds"],
        "one_percent_change_calls": change["requests"],
        "schedules": args.schedules,
        "initial_sync_requests": initial["requests"],
        "one_percent_change_writes": change["writes"],
        "server_database": "sqlite",
        "app_database": "sqlite" if not args.app_db_url else args.app_db_url.split(":")[0],
        "one_percent_change_s": change["seconds"],
        "load_average_1m": round(os.getloadavg()[0], 1),
        **scheduler,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
