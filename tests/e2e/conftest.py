"""A real stack for end-to-end tests: sandbox, `prefect server start`, deploy, worker.

The server runs on SQLite in a temporary PREFECT_HOME; the app database is the
local PostgreSQL, so one real run per test exercises it.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from infra.stack import ROOT, Stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveStack:
    """The running stack plus helpers to drive it through its API and CLI."""

    def __init__(self, stack: Stack, pg_url: str, sandbox_env: dict[str, str]):
        self.stack = stack
        self.pg_url = pg_url
        self.sandbox_env = sandbox_env  # what the demo seed handed out (ids, credentials)

    def api(self, fn: Callable):
        """Run `fn(client)` (async) against this stack's server."""

        async def go():
            async with get_client() as client:
                return await fn(client)

        with temporary_settings(updates={PREFECT_API_URL: self.stack.api_url}):
            return asyncio.run(go())

    def save_block(self, block, name: str) -> None:
        with temporary_settings(updates={PREFECT_API_URL: self.stack.api_url}):
            block.save(name, overwrite=True)

    def run_deployment(self, *params: str, name: str = "saved-links/three-times-daily"):
        """`prefect deployment run` as a user types it; the new run's id."""
        args = ["deployment", "run", name]
        for p in params:
            args += ["--param", p]
        out = self.stack.prefect(*args)
        for line in out.splitlines():
            if "UUID:" in line:
                return uuid.UUID(line.split("UUID:")[1].strip())
        raise AssertionError(f"no run id in: {out}")

    def wait(self, run_id, until: Callable[[object], bool], timeout: float = 180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api(lambda c: c.read_flow_run(run_id))
            if until(run):
                return run
            time.sleep(0.5)
        raise AssertionError(f"run {run_id} stuck in {run.state.name if run.state else None}")

    def wait_final(self, run_id, timeout: float = 180):
        return self.wait(run_id, lambda r: r.state is not None and r.state.is_final(), timeout)


@pytest.fixture(scope="session")
def live(tmp_path_factory, pg_database):
    base = tmp_path_factory.mktemp("stack")
    stack = Stack(
        root=ROOT,
        home=base / "prefect-home",
        run_dir=base / "run",
        data_dir=base / "data",
        api_port=free_port(),
        sandbox_port=free_port(),
        extra_env={
            "APP_DB_URL": pg_database,
            # A run that cannot get its deployment's slot waits as Scheduled and is
            # cancelled (CANCEL_NEW) when it would turn Late: 15 s by default.
            "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "3",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
            # Only the runs a test starts: a scheduled camera or health run firing
            # in the middle of a test would make its outcome depend on the clock.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        },
    )
    try:
        sandbox_env = stack.start_sandbox()
        stack.start_server()
        stack.configure(sandbox_env)
        stack.start_worker()
        yield LiveStack(stack, pg_database, sandbox_env)
    finally:
        stack.down()
