"""The four jobs around the library and the catalogue, as Prefect runs them: the
import and the feed in one source sync, the top-10 behind its flag, series gaps
handed off once behind the downloads switch, and the cleanup keeping failed attempts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prefect.filesystems import LocalFileSystem
from prefect.variables import Variable
from sqlalchemy import func, select, update

from flows.audiobooks.flow import (
    audiobook_series_completion,
    audiobook_source_sync,
    audiobook_task_cleanup,
    audiobook_top10,
)
from flows.audiobooks.jobs import flag_name
from flows.audiobooks.tables import (
    audiobook_books,
    audiobook_failed_attempts,
    audiobook_feed_items,
    audiobook_tasks,
)
from flows.audiobooks.taskrecords import JobRun
from flows.common.times import utcnow
from infra.demo_library import build
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.feeds_helpers import catalogue_block, client_block


@pytest.fixture
def blocks(sb: Sandbox, save_block, tmp_path: Path) -> dict[str, str]:
    """The demo library on disk, the demo catalogue and download client in the sandbox."""
    sb.seed("demo")
    library = build(tmp_path / "library")
    return {
        "library_block": save_block(LocalFileSystem(basepath=str(library)), "library"),
        "catalogue_block": save_block(catalogue_block(sb), "catalogue"),
        "download_client_block": save_block(client_block(sb), "client"),
    }


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_source_sync_imports_the_library_then_the_feed_and_a_rerun_adds_nothing(
    sb: Sandbox, blocks, local_app_db, app_db_block
) -> None:
    engine = local_app_db.engine
    params = {k: blocks[k] for k in ("library_block", "catalogue_block")}
    first = audiobook_source_sync(**params, app_db_block=app_db_block, return_state=True)
    assert first.is_completed(), first.message
    owned = _count(engine, audiobook_books, audiobook_books.c.status == "owned")
    listings = _count(engine, audiobook_feed_items)
    assert owned >= 6 and listings == 12
    # the broken metadata.opf is named in failed attempts; its book is still imported
    with engine.connect() as conn:
        items = conn.execute(select(audiobook_failed_attempts.c.item)).scalars().all()
    assert any(i.endswith("metadata.opf") and "Artemis" in i for i in items)

    again = audiobook_source_sync(**params, app_db_block=app_db_block, return_state=True)
    assert again.is_completed(), again.message
    assert _count(engine, audiobook_books, audiobook_books.c.status == "owned") == owned
    assert _count(engine, audiobook_feed_items) == listings
    with engine.connect() as conn:
        statuses = conn.execute(
            select(audiobook_tasks.c.status).where(audiobook_tasks.c.task_name == "source-sync")
        ).scalars()
        assert list(statuses) == ["completed", "completed"]
    listing_gets = [r for r in sb.catalogue.requests() if "listings" in r["path"]]
    assert listing_gets[-1]["status"] == 304  # the second fetch was conditional


def test_a_disabled_job_is_completed_as_skipped_and_recorded(
    blocks, local_app_db, app_db_block
) -> None:
    Variable.set(flag_name("top10"), "false", overwrite=True)
    try:
        state = audiobook_top10(
            catalogue_block=blocks["catalogue_block"], app_db_block=app_db_block, return_state=True
        )
    finally:
        Variable.unset(flag_name("top10"))
    assert state.is_completed() and state.message == "skipped: disabled"
    assert _count(local_app_db.engine, audiobook_books) == 0
    with local_app_db.engine.connect() as conn:
        assert conn.execute(select(audiobook_tasks.c.status)).scalars().all() == ["skipped"]


def test_series_gaps_are_handed_to_the_download_client_once_when_switched_on(
    sb: Sandbox, blocks, local_app_db, app_db_block
) -> None:
    params = {k: blocks[k] for k in ("library_block", "catalogue_block")}
    assert audiobook_source_sync(**params, app_db_block=app_db_block, return_state=True)
    series = {"download_client_block": blocks["download_client_block"]}

    off = audiobook_series_completion(**series, app_db_block=app_db_block, return_state=True)
    assert off.is_completed(), off.message
    assert sb.qbittorrent.torrents() == []  # the switch is off by default
    wanted = _count(local_app_db.engine, audiobook_books, audiobook_books.c.origin == "series")
    assert wanted >= 1  # Mistborn #3 at least

    Variable.set(flag_name("downloads"), True, overwrite=True)
    try:
        for _ in range(2):
            state = audiobook_series_completion(
                **series, app_db_block=app_db_block, return_state=True
            )
            assert state.is_completed(), state.message
    finally:
        Variable.unset(flag_name("downloads"))
    names = [t["name"] for t in sb.qbittorrent.torrents()]
    assert names and len(names) == len(set(names))  # handed over, and only once
    assert any("Hero of Ages" in n for n in names)


def test_cleanup_deletes_old_task_records_and_keeps_every_failed_attempt(
    local_app_db, app_db_block
) -> None:
    engine = local_app_db.engine
    for _ in range(3):
        old = JobRun(engine, "source-sync")
        old.failure("feed item x", "no title")
        old.complete()
    with engine.begin() as conn:
        conn.execute(update(audiobook_tasks).values(actual_start=utcnow() - timedelta(days=40)))
    state = audiobook_task_cleanup(keep_days=30, app_db_block=app_db_block, return_state=True)
    assert state.is_completed(), state.message
    with engine.connect() as conn:
        left = conn.execute(select(audiobook_tasks.c.task_name)).scalars().all()
    assert left == ["task-cleanup"]  # only this run's own record
    assert _count(engine, audiobook_failed_attempts) == 3
