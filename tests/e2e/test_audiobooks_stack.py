"""The seven audiobook deployments through a real server, `prefect deploy --all`, a
process worker and `prefect deployment run`, in the order a month runs them; the app
database is PostgreSQL, the library the sandbox's demo share."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from flows.audiobooks import JOBS
from flows.audiobooks.jobs import flag_name
from flows.audiobooks.tables import (
    audiobook_books,
    audiobook_failed_attempts,
    audiobook_handoffs,
    audiobook_tasks,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("stack-b")]

ORDER = (
    "task-cleanup",
    "source-sync",
    "metadata-full",
    "top10",
    "metadata-new",
    "series-completion",
    "author-completion",
)


def test_the_seven_jobs_run_in_order_and_write_their_task_records(live):
    live.stack.prefect("variable", "set", flag_name("downloads"), "true", "--overwrite")
    try:
        for job in ORDER:
            run = live.wait_final(live.run_deployment(name=JOBS[job]), timeout=300)
            assert run.state.name == "Completed", f"{job}: {run.state.message}"
    finally:
        live.stack.prefect("variable", "delete", flag_name("downloads"))

    engine = create_engine(live.pg_url)
    with engine.connect() as conn:
        records = conn.execute(select(audiobook_tasks.c.task_name, audiobook_tasks.c.status)).all()
        owned = conn.execute(
            select(func.count()).where(audiobook_books.c.status == "owned")
        ).scalar_one()
        refreshed = conn.execute(
            select(func.count()).where(audiobook_books.c.metadata_refreshed_at.is_not(None))
        ).scalar_one()
        handoffs = conn.execute(select(audiobook_handoffs.c.status)).scalars().all()
        failed_items = conn.execute(select(audiobook_failed_attempts.c.item)).scalars().all()
    engine.dispose()

    assert sorted(records) == sorted((job, "completed") for job in ORDER)
    assert owned >= 6 and refreshed >= 3
    assert handoffs and set(handoffs) == {"added"}
    added = httpx.get(f"{live.stack.sandbox_url}/_sandbox/qbittorrent/torrents", timeout=10)
    assert len(added.json()) == len(handoffs)  # each hand-off reached the client once
    assert any("Hero of Ages" in t["name"] for t in added.json())  # Mistborn #3, the gap
    assert any(item.endswith("metadata.opf") for item in failed_items)  # the broken OPF
