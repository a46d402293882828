"""The daily budget: counted before each request, never overspent by runs at once, on
Google's Pacific-time day, and closed for the day when Google says it is spent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from flows.audiobooks.quota import Budget, QuotaExhausted, key_id, quota_day
from flows.audiobooks.tables import audiobook_api_usage


def test_quota_day_is_pacific() -> None:
    # 07:30 UTC on the 2nd is still the 1st in California
    assert str(quota_day(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))) == "2026-03-01"
    assert str(quota_day(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))) == "2026-03-02"


def test_budget_stops_at_the_quota_and_stores_no_key(app_db) -> None:
    budget = Budget(app_db, "AIzaSecretKey", 3, "google-books")
    for _ in range(3):
        budget.reserve()
    with pytest.raises(QuotaExhausted, match="google-books block: the daily budget of 3"):
        budget.reserve()
    assert budget.used() == 3
    with app_db.connect() as conn:
        stored = conn.execute(select(audiobook_api_usage.c.key_id)).scalars().all()
    assert stored == [key_id("AIzaSecretKey")] and "AIza" not in stored[0]


def test_concurrent_reservations_never_overspend(app_db) -> None:
    budget = Budget(app_db, "k", 25, "google-books")

    def try_once(_: int) -> bool:
        try:
            budget.reserve()
            return True
        except QuotaExhausted:
            return False

    with ThreadPoolExecutor(8) as pool:
        granted = sum(pool.map(try_once, range(60)))
    assert granted == 25 and budget.used() == 25


def test_google_saying_the_day_is_spent_closes_it(app_db) -> None:
    budget = Budget(app_db, "k", 1000, "google-books")
    budget.reserve()
    budget.mark_exhausted()
    with pytest.raises(QuotaExhausted):
        budget.reserve()
    fresh = Budget(app_db, "other-key", 1000, "google-books")
    fresh.mark_exhausted()  # before any request of the day
    with pytest.raises(QuotaExhausted):
        fresh.reserve()
