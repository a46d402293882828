"""First or third party by registrable domain, test names (.test) included."""

from __future__ import annotations

import pytest

from flows.cookie_scan.parties import is_third_party, registrable_domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.news-onetrust.test", "news-onetrust.test"),  # unknown suffix: the default rule
        (".news-onetrust.test", "news-onetrust.test"),  # a cookie domain's leading dot
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("user.github.io", "user.github.io"),  # a private suffix of the list
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("co.uk", None),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


def test_party_of_cookie_domains_and_hosts():
    site = "news-onetrust.test"
    assert not is_third_party(".news-onetrust.test", site)
    assert not is_third_party("cdn.news-onetrust.test", site)
    assert is_third_party("ads-tracker.test", site)
    assert is_third_party("news-onetrust.test.evil.test", site)
    assert is_third_party("alice.github.io", "bob.github.io")
