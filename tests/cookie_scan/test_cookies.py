"""A browser cookie as the report keeps it: attributes, party, class, a value hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flows.cookie_scan.cookies import categorize, from_browser, from_browser_all


def browser_cookie(**over):
    cookie = {
        "name": "_ga",
        "value": "GA1.2.secret",
        "domain": ".news.test",
        "path": "/",
        "expires": 1893456000.0,
        "httpOnly": False,
        "secure": True,
        "sameSite": "Lax",
    }
    cookie.update(over)
    return cookie


def test_the_value_is_hashed_never_kept():
    record = from_browser(browser_cookie(), "news.test")
    assert record.value_hash == hashlib.sha256(b"GA1.2.secret").hexdigest()
    assert "GA1.2.secret" not in repr(record) and "GA1.2.secret" not in str(record.as_dict())


def test_attributes_party_and_expiry():
    record = from_browser(browser_cookie(), "www.news.test")
    assert (record.name, record.domain, record.path) == ("_ga", ".news.test", "/")
    assert record.expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert record.secure and not record.http_only and record.same_site == "Lax"
    assert record.third_party is False
    session = from_browser(browser_cookie(expires=-1, domain="ads.test"), "news.test")
    assert session.expires is None
    assert session.third_party is True


def test_classes_decide_what_needs_consent():
    assert categorize("OptanonConsent", third_party=False) == "consent"
    assert categorize("euconsent-v2", third_party=True) == "consent"
    assert categorize("CookieConsent", third_party=False) == "consent"
    assert categorize("sessionid", third_party=False) == "essential"
    assert categorize("__Host-csrf", third_party=False) == "essential"
    # a session name on another site is still a cross-site cookie
    assert categorize("sessionid", third_party=True) == "tracking"
    assert categorize("_ga", third_party=False) == "tracking"
    assert categorize("theme", third_party=False) == "other"
    needs = {
        c.name: c.needs_consent
        for c in from_browser_all(
            [browser_cookie(name=n) for n in ("_ga", "theme", "OptanonConsent", "sessionid")],
            "news.test",
        )
    }
    assert needs == {"_ga": True, "theme": True, "OptanonConsent": False, "sessionid": False}


def test_one_record_per_cookie_identity():
    records = from_browser_all([browser_cookie(), browser_cookie(value="other")], "news.test")
    assert len(records) == 1
