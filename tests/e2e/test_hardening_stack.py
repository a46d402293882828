"""What a failing machine does to the real stack (a real server, process worker and
PostgreSQL app database): a worker host killed mid-run, hosts that trickle or hang."""

from __future__ import annotations

import os
import signal
import time
import uuid

import httpx
import pytest
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.settings import PREFECT_API_URL, temporary_settings

from blocks.notion import NotionLinksSource
from infra.stack import ROOT
from tests.e2e.test_saved_links_stack import (
    notion_pages,
    own_database,
    slow_batch_under_way,
    status_of,
    terminal_writes,
    text_of,
)

# one live stack per group, each group on one pytest worker (Makefile: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack-b")]


def notified(live, run_name: str, state: str) -> list[dict]:
    return [
        d
        for d in live.deliveries()
        if run_name in str(d["body"]) and d["body"]["subject"].endswith(f": {state}")
    ]


@pytest.mark.slow
def test_a_dead_worker_host_ends_crashed_notifies_once_and_the_rows_are_finished(live):
    database_id, run_id = slow_batch_under_way(live, "z", rows=5, done=1, pause=2)
    sandbox = live.stack.sandbox_url

    # kill -9 the worker and its flow-run process together: nobody tells the server
    run = live.api(lambda c: c.read_flow_run(run_id))
    flow_pid = int(run.infrastructure_pid.rsplit(":", 1)[-1])
    os.kill(live.stack.pid("worker"), signal.SIGKILL)
    os.kill(flow_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    live.stack.stop("worker")
    assert live.api(lambda c: c.read_flow_run(run_id)).state.name == "Running"

    # start the stack again as `make demo` does: bootstrap (automations unchanged) + worker;
    # the bootstrap points the block back at the demo database, so this test's is restored
    with temporary_settings(updates={PREFECT_API_URL: live.stack.api_url}):
        block = NotionLinksSource.load("saved-links")
    live.stack.configure(live.sandbox_env)
    live.save_block(block, "saved-links")
    live.stack.start_worker()
    crashed = live.wait_final(run_id, timeout=240)
    assert crashed.state.name == "Crashed"
    assert time.monotonic() - killed_at < 60 + 90, "within the threshold and a loop or two"
    deadline = time.monotonic() + 60
    while not notified(live, crashed.name, "Crashed") and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(5)  # a second notification would have come by now
    assert len(notified(live, crashed.name, "Crashed")) == 1

    httpx.delete(f"{sandbox}/_sandbox/faults").raise_for_status()
    again = live.wait_final(live.run_deployment("pause_seconds=0"))
    assert again.state.name == "Completed", "the slot was released"
    pages = notion_pages(live, database_id)
    statuses = [(status_of(p), text_of(p, "Error")) for p in pages]
    assert all(status_of(p) == "Done" for p in pages), f"{again.state.message}: {statuses}"
    writes = [terminal_writes(p) for p in pages]
    assert all(w == ["Done"] for w in writes), f"no row done twice: {writes}"


def test_a_trickling_host_cannot_hold_a_run(live):
    media = f"{live.stack.sandbox_url}/media"
    database_id = own_database(
        live, [{"url": f"{media}/trickle/slow.mp4?every=1"}, {"url": f"{media}/files/ok.mp4"}]
    )
    started = time.monotonic()
    run = live.wait_final(
        live.run_deployment("pause_seconds=0", "item_timeout_seconds=3", "retry_backoff_seconds=1"),
        timeout=120,
    )
    assert run.state.name == "Completed"
    assert time.monotonic() - started < 90
    slow, ok = notion_pages(live, database_id)
    assert status_of(slow) == "New"
    assert text_of(slow, "Error") == (
        "TimedOut: no result within item_timeout_seconds (3 s) (run 1 of 3)"
    )
    assert status_of(ok) == "Done"


def test_a_hung_flow_ends_timed_out_notifies_and_frees_its_slot(live):
    from tests.e2e.stuck_flow import stuck

    name = f"e2e-{uuid.uuid4().hex[:6]}"
    with temporary_settings(updates={PREFECT_API_URL: live.stack.api_url}):
        stuck.from_source(str(ROOT), "tests/e2e/stuck_flow.py:stuck").deploy(
            name=name,
            work_pool_name=live.stack.work_pool,
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
            build=False,
            push=False,
            print_next_steps=False,
        )
    silent = f"{live.stack.sandbox_url}/media/silent/never"
    hung = live.wait_final(
        live.run_deployment(f"url={silent}", name=f"stuck-for-test/{name}"), timeout=120
    )
    assert hung.state.name == "TimedOut"
    deadline = time.monotonic() + 60
    while not notified(live, hung.name, "TimedOut") and time.monotonic() < deadline:
        time.sleep(1)
    assert len(notified(live, hung.name, "TimedOut")) == 1

    answers = f"{live.stack.sandbox_url}/_sandbox/health"
    after = live.wait_final(live.run_deployment(f"url={answers}", name=f"stuck-for-test/{name}"))
    assert after.state.name == "Completed", "the slot is free again"
