"""Which Processing rows a run may take over: never a live run's, by age alone."""

from datetime import UTC, datetime, timedelta

from flows.common.runs import RunStatus
from flows.saved_links.notion_source import LinkRow
from flows.saved_links.processor import select_rows
from flows.saved_links.records import LinkRecord
from flows.saved_links.schedule import time_of_day

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ZOMBIE = timedelta(minutes=10)


def row(page_id: str, status: str | None, edited_ago: timedelta = timedelta()) -> LinkRow:
    return LinkRow(page_id, f"http://x/{page_id}.mp4", status, NOW - edited_ago)


def held(page_id: str, by: str, ago: timedelta) -> LinkRecord:
    return LinkRecord(
        page_id, "u", by, NOW - ago, 1, 0, None, None, None, None, None, None, None, None, None
    )


def run(state: str, started_ago=timedelta(minutes=30), beat_ago=timedelta(minutes=1)) -> RunStatus:
    return RunStatus("r", state, NOW - started_ago, NOW - beat_ago if beat_ago else None)


def pick(rows, records, states, run_id="me"):
    runs = {
        holder: run(state) if isinstance(state, str) else state for holder, state in states.items()
    }
    usable, dead = select_rows(rows, records, runs, NOW, HOUR, run_id, ZOMBIE)
    return [r.page_id for r in usable], dead


def test_new_and_empty_rows_are_always_candidates():
    assert pick([row("a", None), row("b", "New")], {}, {}) == (["a", "b"], set())


def test_rows_of_a_crashed_run_are_taken_at_once():
    records = {"a": held("a", "r1", timedelta(minutes=1))}
    assert pick([row("a", "Processing")], records, {"r1": "CRASHED"}) == (["a"], {"r1"})


def test_rows_of_a_running_run_are_never_taken_however_old():
    records = {"a": held("a", "r1", timedelta(days=3))}
    assert pick([row("a", "Processing", timedelta(days=3))], records, {"r1": "RUNNING"}) == (
        [],
        set(),
    )


def test_rows_of_a_running_run_whose_heartbeats_stopped_are_taken():
    """Its host died and the zombie automation has not (or never will) mark it Crashed."""
    records = {"a": held("a", "r1", timedelta(minutes=40))}
    silent = run("RUNNING", started_ago=timedelta(minutes=40), beat_ago=timedelta(minutes=11))
    beating = run("RUNNING", started_ago=timedelta(minutes=40), beat_ago=timedelta(minutes=2))
    assert pick([row("a", "Processing")], records, {"r1": silent}) == (["a"], {"r1"})
    assert pick([row("a", "Processing")], records, {"r1": beating}) == ([], set())


def test_a_run_that_just_started_is_alive_before_its_first_heartbeat_lands():
    records = {"a": held("a", "r1", timedelta(minutes=1))}
    fresh = run("RUNNING", started_ago=timedelta(minutes=1), beat_ago=None)
    assert pick([row("a", "Processing")], records, {"r1": fresh}) == ([], set())


def test_rows_of_an_unknown_holder_are_taken_after_the_timeout_only():
    fresh = {"a": held("a", "bench-loop", timedelta(minutes=5))}
    stale = {"a": held("a", "bench-loop", 2 * HOUR)}
    assert pick([row("a", "Processing")], fresh, {}) == ([], set())
    assert pick([row("a", "Processing")], stale, {}) == (["a"], {"bench-loop"})


def test_processing_rows_nobody_holds_wait_for_the_timeout():
    assert pick([row("a", "Processing", timedelta(minutes=5))], {}, {}) == ([], set())
    assert pick([row("a", "Processing", 2 * HOUR)], {}, {}) == (["a"], set())


def test_a_run_takes_back_its_own_rows():
    records = {"a": held("a", "me", timedelta(minutes=1))}
    assert pick([row("a", "Processing")], records, {"me": "RUNNING"}) == (["a"], set())


def test_runs_are_named_by_the_local_time_they_were_scheduled_for():
    berlin = "Europe/Berlin"
    assert time_of_day(datetime(2026, 11, 23, 7, 0, tzinfo=UTC), berlin) == "morning"  # 08:00
    assert time_of_day(datetime(2026, 11, 23, 11, 0, tzinfo=UTC), berlin) == "noon"  # 12:00
    assert time_of_day(datetime(2026, 11, 23, 22, 0, tzinfo=UTC), berlin) == "night"  # 23:00
    assert time_of_day(datetime(2026, 7, 1, 6, 0, tzinfo=UTC), berlin) == "morning"  # DST
