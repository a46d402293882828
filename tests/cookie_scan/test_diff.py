"""The diff against the previous scan: new, removed, changed (attributes or value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.cookie_scan.diff import diff_cookies

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
T1 = T0 + timedelta(days=1)


def cookie(name, started=T0, life=timedelta(days=30), **over):
    row = {
        "name": name,
        "domain": "news.test",
        "path": "/",
        "expires": started + life if life is not None else None,
        "secure": False,
        "http_only": False,
        "same_site": "Lax",
        "third_party": False,
        "value_hash": "a" * 64,
    }
    row.update(over)
    return row


def test_new_removed_and_unchanged():
    d = diff_cookies([cookie("a"), cookie("b")], [cookie("b", T1), cookie("c", T1)], T0, T1)
    assert [c["name"] for c in d.new] == ["c"]
    assert [c["name"] for c in d.removed] == ["a"]
    assert d.changed == []  # b's expiry moved with the scan date, its lifetime did not


def test_changed_attributes_value_and_lifetime():
    old = [cookie("v"), cookie("s"), cookie("l"), cookie("p")]
    new = [
        cookie("v", T1, value_hash="b" * 64),
        cookie("s", T1, secure=True, same_site="None"),
        cookie("l", T1, life=timedelta(days=400)),
        cookie("p", T1, life=None),
    ]
    d = diff_cookies(old, new, T0, T1)
    changes = {c["name"]: c["changes"] for c in d.changed}
    assert changes == {
        "v": ["value_hash"],
        "s": ["secure", "same_site"],
        "l": ["lifetime"],
        "p": ["session"],
    }
    assert not d.new and not d.removed


def test_same_name_on_another_domain_is_another_cookie():
    d = diff_cookies([cookie("x")], [cookie("x", T1, domain="ads.test")], T0, T1)
    assert len(d.new) == 1 and len(d.removed) == 1 and not d.changed
