"""The answer cache: keyed by the request without the key, valid for `cache_days`."""

from __future__ import annotations

from datetime import timedelta

from flows.audiobooks.cache import AnswerCache, request_key
from flows.common.times import utcnow


def test_key_ignores_the_api_key_and_order() -> None:
    assert request_key({"q": "x", "maxResults": 10, "key": "a"}) == request_key(
        {"maxResults": 10, "q": "x", "key": "b"}
    )
    assert request_key({"q": "x"}) != request_key({"q": "x", "startIndex": 10})


def test_answers_expire_after_cache_days(app_db) -> None:
    cache = AnswerCache(app_db, days=2)
    now = utcnow()
    cache.put("k1", "q=x", {"totalItems": 0}, now=now)
    cache.put("k1", "q=x", {"totalItems": 1}, now=now)  # stored again: replaced
    assert cache.get("k1", now=now + timedelta(days=1)) == {"totalItems": 1}
    assert cache.get_many(["k1", "k2"], now=now + timedelta(days=3)) == {}
    assert cache.purge(now=now + timedelta(days=3)) == 1
