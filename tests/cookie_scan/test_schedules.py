"""The sync's upsert on SQLite and PostgreSQL: counts, change detection by hash, disable
instead of delete, manual rows left alone, and a bulk write whatever the size."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import Engine, event, select, update

from flows.cookie_scan.config import load_config
from flows.cookie_scan.schedules import (
    ScheduleError,
    add,
    change,
    delete_schedule,
    rows,
    set_enabled,
    upsert_entries,
)
from flows.cookie_scan.tables import cookie_scan_profiles, cookie_schedules
from flows.cookie_scan.validation import check_entries
from infra.sandbox.services.cookieapi.seeds import SITES, demo_entries, entry, generated


def sync(engine: Engine, raw: list) -> dict:
    with engine.begin() as conn:
        result = upsert_entries(conn, check_entries(raw))
    return result.counts() | {"skipped_ids": [s.label for s in result.skipped]}


def by_id(engine: Engine) -> dict:
    with engine.connect() as conn:
        return {r["domain_config_id"]: r for r in rows(conn)}


def test_first_sync_creates_the_valid_entries_and_names_the_rest(app_db: Engine) -> None:
    counts = sync(app_db, demo_entries())
    assert counts["created"] == 6 and counts["skipped"] == 4
    assert counts["updated"] == counts["unchanged"] == counts["disabled"] == 0
    stored = by_id(app_db)
    assert set(stored) == set(SITES)
    cookiebot = stored["demo-cookiebot"]
    assert cookiebot["frequency"] == "weekly"
    assert cookiebot["time_config"] == {"minute": 30, "hour": 3, "day_of_week": "monday"}
    assert cookiebot["timezone"] == "Europe/Berlin"
    assert cookiebot["source"] == "api" and cookiebot["enabled"]
    with app_db.connect() as conn:  # what the scan reads
        config = load_config(conn, "demo-onetrust")
    assert (config.domain, config.max_pages, config.scan_depth) == ("news-onetrust.test", 3, 1)
    assert config.custom_pages == ("/privacy",)


def test_a_second_identical_sync_changes_nothing(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    before = by_id(app_db)
    counts = sync(app_db, demo_entries())
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 0, 6)
    assert by_id(app_db) == before  # not even updated_at moved


def test_a_changed_entry_is_updated_with_its_profile(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    changed = demo_entries()
    changed[0]["data"]["schedule"]["time"]["hour"] = 5
    changed[0]["data"]["maxPages"] = 9
    counts = sync(app_db, changed)
    assert (counts["updated"], counts["unchanged"]) == (1, 5)
    row = by_id(app_db)["demo-onetrust"]
    assert row["time_config"]["hour"] == 5 and row["max_pages"] == 9


def test_a_vanished_entry_is_disabled_not_deleted_and_comes_back(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    without = [e for e in demo_entries() if e.get("domain_config_id") != "demo-tcf"]
    counts = sync(app_db, without)
    assert counts["disabled"] == 1
    assert by_id(app_db)["demo-tcf"]["enabled"] is False
    assert sync(app_db, without)["disabled"] == 0, "disabled once, not every sync"
    back = sync(app_db, demo_entries())
    assert (back["updated"], back["unchanged"]) == (1, 5)
    assert by_id(app_db)["demo-tcf"]["enabled"] is True


def test_an_entry_turned_invalid_keeps_its_last_good_row(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    broken = demo_entries()
    broken[1]["data"]["schedule"]["time"]["hour"] = 99
    counts = sync(app_db, broken)
    assert counts["disabled"] == 0 and "demo-cookiebot" in counts["skipped_ids"]
    row = by_id(app_db)["demo-cookiebot"]
    assert row["enabled"] and row["time_config"]["hour"] == 3


def test_manual_rows_are_never_touched_by_the_api(app_db: Engine) -> None:
    with app_db.begin() as conn:
        add(conn, entry("mine", "mine.example", "daily", {"hour": 9}))
        add(conn, entry("demo-didomi", "elsewhere.example", "hourly", {"minute": 1}))
    counts = sync(app_db, demo_entries())
    assert counts["created"] == 5 and "demo-didomi" in counts["skipped_ids"]
    stored = by_id(app_db)
    assert stored["demo-didomi"]["domain"] == "elsewhere.example"
    assert stored["mine"]["enabled"] and stored["mine"]["source"] == "manual"  # not disabled


def test_thousands_of_entries_take_a_handful_of_statements(app_db: Engine) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.split()[0])

    raw = generated(3000, prefix="bulk-")
    event.listen(app_db, "before_cursor_execute", count)
    try:
        first = sync(app_db, raw)
        created_with = len(statements)
        statements.clear()
        again = sync(app_db, raw)
        noop_with = len(statements)
        statements.clear()
        moved = copy.deepcopy(raw)
        for item in moved[:30]:
            item["data"]["maxPages"] = 2
        changed = sync(app_db, moved)
        changed_with = len(statements)
    finally:
        event.remove(app_db, "before_cursor_execute", count)
    assert first["created"] == 3000 and again["unchanged"] == 3000 and changed["updated"] == 30
    # insertmanyvalues batches at most 1000 rows per INSERT on both databases
    assert created_with <= 12, statements
    assert noop_with <= 4, "two reads, no write"
    assert changed_with <= 6, statements


def test_the_command_functions_validate_like_the_sync(app_db: Engine) -> None:
    with app_db.begin() as conn:
        add(conn, entry("mine", "münchen.de", "daily", {"hour": 9}))
        with pytest.raises(ScheduleError, match="exists already"):
            add(conn, entry("mine", "other.example", "daily"))
        with pytest.raises(ScheduleError, match=r"hour must be 0\.\.23, got 24"):
            add(conn, entry("bad", "ok.example", "daily", {"hour": 24}))
        changed = change(
            conn, "mine", {"maxPages": 4}, {"frequency": "hourly", "time": {"minute": 5}}
        )
        assert (changed.cron, changed.max_pages, changed.domain) == (
            "5 * * * *",
            4,
            "xn--mnchen-3ya.de",
        )
        with pytest.raises(ScheduleError, match="customPages entry 'x' must be a path"):
            change(conn, "mine", {"customPages": ["x"]})
        with pytest.raises(ScheduleError, match="no schedule with domain_config_id 'nope'"):
            set_enabled(conn, "nope", False)
    assert by_id(app_db)["mine"]["max_pages"] == 4


def test_disable_by_hand_takes_an_api_row_out_of_the_sync(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    with app_db.begin() as conn:
        conn.execute(update(cookie_schedules).values(applied_enabled=True))
        assert set_enabled(conn, "demo-tcf", False) is True
    row = by_id(app_db)["demo-tcf"]
    assert (row["enabled"], row["source"], row["applied_enabled"]) == (False, "manual", None)
    counts = sync(app_db, demo_entries())
    assert "demo-tcf" in counts["skipped_ids"]
    assert by_id(app_db)["demo-tcf"]["enabled"] is False, "the sync did not undo it"


def test_delete_removes_schedule_and_profile(app_db: Engine) -> None:
    sync(app_db, demo_entries())
    with app_db.begin() as conn:
        delete_schedule(conn, "demo-tcf")
    with app_db.connect() as conn:
        profiles = conn.execute(select(cookie_scan_profiles.c.domain_config_id)).scalars().all()
    assert "demo-tcf" not in by_id(app_db) and "demo-tcf" not in profiles
    assert sync(app_db, demo_entries())["created"] == 1, "the API can hand it back"
