"""Every API entry is checked on its own: good ones normalised (IDNA domain, cron string
and zone), bad ones skipped with a reason naming the field and the value."""

from __future__ import annotations

import copy

import pytest

from flows.cookie_scan.validation import (
    InvalidEntry,
    check_domain,
    check_entries,
    check_entry,
    cron_of,
)
from infra.sandbox.services.cookieapi.seeds import INVALID, SITES, demo_entries, entry


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("news-onetrust.test", "news-onetrust.test"),
    ],
)
def test_a_domain_is_stored_in_idna_ascii(given: str, stored: str) -> None:
    assert check_domain(given) == stored


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("http://example.com", "not a URL"),
        ("example.com/path", "no path"),
        ("example.com:8080", "port"),
        ("127.0.0.1", "IP address"),
        ("[::1]", "IP address"),
        ("::1", "IP address"),
        ("0x7f.1", "looks like an address"),
        ("localhost", "two labels"),
        ("printer.localhost", "local name"),
        ("intranet", "two labels"),
        ("user@example.com", "no path, query or user"),
        ("exa mple.com", "white space"),
        ("-bad.example", "hyphen"),
        ("a..example", "empty label"),
        ("", "missing"),
        ("x" * 64 + ".com", "must be 1-63 letters"),
        ("ex_ample.com", "must be 1-63 letters"),
        ("xn--zz.example", "not a valid"),
    ],
)
def test_what_is_not_a_bare_domain_name_is_refused(given: str, why: str) -> None:
    with pytest.raises(InvalidEntry, match=why):
        check_domain(given)


@pytest.mark.parametrize(
    ("schedule", "cron", "timezone"),
    [
        ({"frequency": "hourly", "time": {"minute": 15}}, "15 * * * *", "UTC"),
        ({"frequency": "daily", "time": {"hour": 2, "minute": 0}}, "0 2 * * *", "UTC"),
        ({"frequency": "Daily", "time": {"hour": "7", "minute": "30"}}, "30 7 * * *", "UTC"),
        (
            {
                "frequency": "weekly",
                "time": {"day": "monday", "hour": 3, "timezone": "Europe/Berlin"},
            },
            "0 3 * * 1",
            "Europe/Berlin",
        ),
        ({"frequency": "weekly", "time": {"day": 0, "hour": 3}}, "0 3 * * 0", "UTC"),
        ({"frequency": "weekly", "time": {"day": "Sat"}}, "0 0 * * 6", "UTC"),
        ({"frequency": "monthly", "time": {"day": 31, "hour": 4}}, "0 4 31 * *", "UTC"),
        ({"frequency": "*/15  * * * 1-5"}, "*/15 * * * 1-5", "UTC"),
        ({"frequency": "cron", "time": {"cron": "0 */6 * * *"}}, "0 */6 * * *", "UTC"),
    ],
)
def test_each_frequency_becomes_a_cron_string_and_zone(schedule, cron, timezone) -> None:
    checked = check_entry(entry("a", "example.com", schedule["frequency"], schedule.get("time")))
    assert (checked.cron, checked.timezone) == (cron, timezone)
    assert cron_of(checked.frequency, checked.time_config) == cron  # what the reconcile reads


@pytest.mark.parametrize(
    ("frequency", "time", "why"),
    [
        ("fortnightly", {}, "'fortnightly' is not hourly, daily, weekly, monthly"),
        ("daily", {"hour": 25}, "hour must be 0..23, got 25"),
        ("daily", {"hour": 2, "minute": 60}, "minute must be 0..59, got 60"),
        ("daily", {"hour": True}, "hour must be a whole number"),
        ("daily", {"hour": 2.5}, "hour must be a whole number"),
        ("weekly", {"day": "someday"}, "day of week 'someday'"),
        ("weekly", {"day": 7}, "day of week must be 0..6"),
        ("weekly", {"hour": 1}, "weekly schedule needs time.day"),
        ("monthly", {"day": 32}, "day must be 1..31, got 32"),
        ("monthly", {"day": 0}, "day must be 1..31, got 0"),
        ("daily", {"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not an IANA zone"),
        ("61 * * * *", {}, "Invalid cron string"),
        ("0 0 * * * *", {}, "five-field cron"),
        ("H 0 * * *", {}, "Invalid cron string"),
        ("cron", {}, "cron expression is missing"),
    ],
)
def test_a_bad_schedule_names_its_field(frequency: str, time: dict, why: str) -> None:
    with pytest.raises(InvalidEntry, match=why):
        check_entry(entry("a", "example.com", frequency, time))


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"maxPages": 0}, "maxPages must be 1..1000"),
        ({"scanDepth": -1}, "scanDepth must be 0..10"),
        ({"maxRetries": 11}, "maxRetries must be 0..10"),
        ({"customPages": ["https://evil.example/"]}, "must be a path on the domain"),
        ({"customPages": ["//evil.example/x"]}, "must be a path on the domain"),
        ({"customPages": "/one"}, "customPages must be a list"),
        ({"allow_deep_scan": "yes"}, "allow_deep_scan must be true or false"),
        ({"accept_selector": 5}, "accept_selector must be text"),
    ],
)
def test_profile_fields_are_bounded(fields: dict, why: str) -> None:
    with pytest.raises(InvalidEntry, match=why):
        check_entry(entry("a", "example.com", "daily", {"hour": 1}, **fields))


def test_profile_fields_are_kept_and_pages_deduplicated() -> None:
    checked = check_entry(
        entry(
            "shop-1",
            "shop.example",
            "daily",
            {"hour": 1},
            maxPages=5,
            scanDepth=2,
            maxRetries=0,
            customPages=["/a", "/b", "/a"],
            accept_selector="#ok",
            allow_deep_scan=True,
        )
    )
    assert checked.profile() == {
        "description": "shop.example consent scan",
        "allow_deep_scan": True,
        "max_pages": 5,
        "scan_depth": 2,
        "max_retries": 0,
        "custom_pages": ["/a", "/b"],
        "accept_selector": "#ok",
    }


@pytest.mark.parametrize(
    ("config_id", "why"),
    [
        (None, "domain_config_id is missing"),
        ("", "domain_config_id is missing"),
        ("has space", "must be 1-64 letters"),
        ("../etc", "must be 1-64 letters"),
        ("x" * 65, "must be 1-64 letters"),
        (["list"], "must be text"),
    ],
)
def test_the_id_must_be_slug_safe(config_id, why: str) -> None:
    raw = entry("placeholder", "example.com", "daily")
    raw["domain_config_id"] = config_id
    with pytest.raises(InvalidEntry, match=why):
        check_entry(raw)


def test_a_uuid_id_is_accepted() -> None:
    uid = "3f2b8c1e-7d4a-4b9e-9c1a-2e5f6a7b8c9d"
    assert check_entry(entry(uid, "example.com", "daily")).domain_config_id == uid


def test_one_bad_entry_never_sinks_the_others_and_each_is_named() -> None:
    checked = check_entries(demo_entries())
    assert [e.domain_config_id for e in checked.entries] == list(SITES)
    assert [e.domain for e in checked.entries] == list(SITES.values())
    reasons = {i.label: i.reason for i in checked.invalid}
    assert set(reasons) == set(INVALID)
    for label, fragment in INVALID.items():
        assert fragment in reasons[label], label
    # ids the API named, even in a bad entry, are "seen": their rows are not disabled
    assert checked.seen_ids == set(SITES) | {
        "demo-bad-domain",
        "demo-bad-frequency",
        "demo-bad-hour",
    }


def test_non_objects_and_duplicates_are_skipped_by_position_or_id() -> None:
    good = entry("dup", "one.example", "daily")
    again = entry("dup", "two.example", "daily")
    checked = check_entries([good, "not an object", again, {"domain_config_id": "x"}])
    assert [e.domain for e in checked.entries] == ["one.example"]
    assert [(i.label, i.reason.split(":")[0]) for i in checked.invalid] == [
        ("entry #2", "entry must be an object, got str"),
        ("dup", "duplicate domain_config_id"),
        ("x", "data is missing (an object with domain and schedule)"),
    ]


def test_the_content_hash_follows_the_content_not_enabled() -> None:
    base = entry("a", "example.com", "daily", {"hour": 1})
    first = check_entry(base)
    off = copy.deepcopy(base)
    off["data"]["enabled"] = False
    moved = copy.deepcopy(base)
    moved["data"]["schedule"]["time"]["hour"] = 2
    assert check_entry(off).content_hash == first.content_hash
    assert check_entry(moved).content_hash != first.content_hash
    assert check_entry(copy.deepcopy(base)).content_hash == first.content_hash
