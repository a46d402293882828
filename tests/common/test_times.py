"""Instants from APIs and pages: every one aware and in UTC."""

from datetime import UTC, datetime

import pytest

from flows.common.times import as_utc, parse_instant

NOON = datetime(2026, 11, 26, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26T12:00:00Z",
        "2026-11-26T13:00:00+01:00",
        "2026-11-26T12:00:00",
        " 2026-11-26T12:00:00.000z ",
    ],
)
def test_iso_times_with_z_an_offset_or_none_are_read_as_utc(text):
    assert parse_instant(text) == NOON
    assert parse_instant(text).tzinfo == UTC


@pytest.mark.parametrize("text", ["", None, "yesterday", "2026-13-01T00:00:00Z"])
def test_what_is_no_time_is_refused_with_the_text(text):
    with pytest.raises(ValueError, match="empty time" if not text else repr(text)):
        parse_instant(text)


def test_naive_database_times_are_taken_as_utc_and_aware_ones_converted():
    assert as_utc(datetime(2026, 11, 26, 12)) == NOON
    assert as_utc(datetime.fromisoformat("2026-11-26T07:00:00-05:00")).tzinfo == UTC
    assert as_utc(None) is None
