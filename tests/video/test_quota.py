"""YouTube's quota day and both budgets, on the real migrated app database."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from flows.video import quota
from flows.video.quota import UNITS, UPLOADS, QuotaExhausted


def test_the_quota_day_turns_at_midnight_pacific_in_winter_and_summer() -> None:
    # Winter (PST, UTC-8): 07:59 UTC is still the day before in California.
    assert quota.quota_day(datetime(2026, 1, 15, 7, 59, tzinfo=UTC)) == date(2026, 1, 14)
    assert quota.quota_day(datetime(2026, 1, 15, 8, 0, tzinfo=UTC)) == date(2026, 1, 15)
    assert quota.next_reset(datetime(2026, 1, 15, 7, 59, tzinfo=UTC)) == datetime(
        2026, 1, 15, 8, 0, tzinfo=UTC
    )
    # Summer (PDT, UTC-7).
    assert quota.next_reset(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == datetime(
        2026, 7, 2, 7, 0, tzinfo=UTC
    )
    # The night daylight saving time ends (1 Nov 2026): the reset is still midnight PST.
    assert quota.next_reset(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 2, 8, 0, tzinfo=UTC
    )


def test_a_call_is_charged_until_the_budget_is_spent_and_the_refusal_names_the_reset(
    app_db: Engine,
) -> None:
    now = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    with app_db.begin() as conn:
        assert quota.reserve(conn, "chan", UNITS, 50, 120, now=now) == 50
        assert quota.reserve(conn, "chan", UNITS, 50, 120, now=now) == 100
        with pytest.raises(QuotaExhausted) as refused:
            quota.reserve(conn, "chan", UNITS, 50, 120, now=now)
        # A cheaper call still fits; the refused one charged nothing.
        assert quota.reserve(conn, "chan", UNITS, 1, 120, now=now) == 101
        # The other bucket and another channel are counted apart.
        assert quota.reserve(conn, "chan", UPLOADS, 1, 1, now=now) == 1
        assert quota.reserve(conn, "other", UNITS, 120, 120, now=now) == 120
    err = refused.value
    assert err.reset_at == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # PDT from 8 March
    assert (err.channel, err.bucket) == ("chan", UNITS)
    assert "'chan'" in str(err) and "units" in str(err) and "2026-03-11T07:00:00+00:00" in str(err)
    # The next Pacific day starts empty.
    with app_db.begin() as conn:
        assert quota.reserve(conn, "chan", UNITS, 120, 120, now=err.reset_at) == 120
        assert quota.used(conn, "chan", UNITS, now=now) == 101


def test_an_upload_that_would_exceed_the_day_is_refused_even_on_a_fresh_day(
    app_db: Engine,
) -> None:
    with app_db.begin() as conn, pytest.raises(QuotaExhausted):
        quota.reserve(conn, "chan", UPLOADS, 1, 0)
    with app_db.begin() as conn:
        assert quota.used(conn, "chan", UPLOADS) == 0


def test_when_youtube_says_the_day_is_spent_nothing_more_is_asked_that_day(
    app_db: Engine,
) -> None:
    now = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    with app_db.begin() as conn:
        quota.reserve(conn, "chan", UPLOADS, 1, 100, now=now)
        reset = quota.exhaust(conn, "chan", UPLOADS, 100, now=now)
        quota.exhaust(conn, "chan", UNITS, 10_000, now=now)  # no row yet
    assert reset == quota.next_reset(now)
    with app_db.begin() as conn:
        for bucket, limit in ((UPLOADS, 100), (UNITS, 10_000)):
            with pytest.raises(QuotaExhausted):
                quota.reserve(conn, "chan", bucket, 1, limit, now=now)


def test_two_runs_at_once_never_spend_more_than_the_budget(local_app_db) -> None:
    granted: list[int] = []
    barrier = threading.Barrier(4)

    def spend() -> None:
        barrier.wait()
        for _ in range(10):
            try:
                with local_app_db.engine.begin() as conn:
                    quota.reserve(conn, "chan", UNITS, 1, 25)
                granted.append(1)
            except QuotaExhausted:
                pass

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 25
    with local_app_db.engine.connect() as conn:
        assert quota.used(conn, "chan", UNITS) == 25
