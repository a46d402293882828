"""Fetching the schedule API (the sandbox's, over real HTTP): the token goes as a bearer
header and never into a message; errors name the URL and say whether a retry can help."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from blocks.cookie_scan import CookieScheduleApi
from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.cookie_scan.schedule_api import ScheduleApiError, fetch_entries, shown_url
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.cookieapi.seeds import DEMO_TOKEN, SITES

TOKEN = "s3cret-schedule-token"


def block(sb: Sandbox, token: str | None = TOKEN, **fields) -> CookieScheduleApi:
    return CookieScheduleApi(
        url=sb.cookieapi.url, token=SecretStr(token) if token else None, **fields
    )


def test_the_demo_seed_is_served_with_its_token(sb: Sandbox) -> None:
    env = sb.seed("demo")["env"]
    got = fetch_entries(
        CookieScheduleApi(
            url=env["COOKIE_SCHEDULE_API_URL"],
            token=SecretStr(env["COOKIE_SCHEDULE_API_TOKEN"]),
        )
    )
    ids = [e.get("domain_config_id") for e in got]
    assert ids[:6] == list(SITES) and None in ids and len(got) == 10
    assert env["COOKIE_SCHEDULE_API_TOKEN"] == DEMO_TOKEN
    assert sb.cookieapi.requests()[-1]["auth"] == "bearer"


def test_a_missing_or_wrong_token_is_a_config_error_that_never_shows_it(sb: Sandbox) -> None:
    sb.cookieapi.token(TOKEN)
    with pytest.raises(ConfigError, match="refused the token \\(HTTP 401\\)") as caught:
        fetch_entries(block(sb, token="wrong-" + TOKEN))
    assert sb.cookieapi.url in str(caught.value)
    assert "invalid bearer token" in str(caught.value)  # the API's own error body
    assert TOKEN not in str(caught.value)
    with pytest.raises(ConfigError, match="missing bearer token"):
        fetch_entries(block(sb, token=None))
    assert [r["status"] for r in sb.cookieapi.requests()] == [401, 401]


def test_the_url_shown_hides_credentials_and_secret_query_values() -> None:
    shown = shown_url("https://user:pw@api.example/schedules?token=abc&page=2")
    assert shown == "https://api.example/schedules?token=***&page=2"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_outages_and_rate_limits_are_transient(sb: Sandbox, status: int) -> None:
    sb.add_fault("/cookieapi/schedules", status=status, times=1)
    with pytest.raises(TransientError, match=f"HTTP {status}: .*injected fault"):
        fetch_entries(block(sb, token=None))
    assert fetch_entries(block(sb, token=None)) == []  # the next attempt gets through


def test_a_slow_api_times_out_as_transient(sb: Sandbox) -> None:
    sb.add_fault("/cookieapi/schedules", delay_ms=1500, times=1)
    with pytest.raises(TransientError, match=r"no answer within 0\.5 s"):
        fetch_entries(block(sb, token=None, timeout_seconds=0.5))


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('{"data": [{"domain_config_id": "a"', "not JSON"),
        ("<html>maintenance</html>", "not JSON"),
        ('{"items": []}', 'expected {"data": \\[...\\]}'),
        ('[{"domain_config_id": "a"}]', 'expected {"data": \\[...\\]}'),
        ('{"data": {"a": 1}}', 'expected {"data": \\[...\\]}'),
    ],
)
def test_an_answer_that_is_no_schedule_list_is_permanent(sb: Sandbox, body: str, why: str) -> None:
    sb.cookieapi.raw(body)
    with pytest.raises(ScheduleApiError, match=why) as caught:
        fetch_entries(block(sb, token=None))
    assert sb.cookieapi.url in str(caught.value)
    assert not isinstance(caught.value, TransientError)


def test_a_malformed_fault_is_named_too(sb: Sandbox) -> None:
    sb.add_fault("/cookieapi/schedules", malformed=True, times=1)
    with pytest.raises(ScheduleApiError, match="not JSON"):
        fetch_entries(block(sb, token=None))


def test_a_404_is_permanent_and_names_the_url(sb: Sandbox) -> None:
    wrong = CookieScheduleApi(url=sb.cookieapi.base_url + "/nope")
    with pytest.raises(PermanentError, match="/cookieapi/nope: HTTP 404"):
        fetch_entries(wrong)


def test_an_answer_over_the_size_cap_is_refused_unread(sb: Sandbox) -> None:
    sb.cookieapi.generate(200)
    with pytest.raises(ScheduleApiError, match="over the block's max_bytes \\(10000\\)"):
        fetch_entries(block(sb, token=None, max_bytes=10_000))
    assert len(fetch_entries(block(sb, token=None))) == 200


def test_changes_between_calls(sb: Sandbox) -> None:
    sb.cookieapi.generate(3, prefix="c-")
    sb.cookieapi.on_call(2, [{"domain_config_id": "c-000001", "data": {"domain": "moved.example"}}])
    first = fetch_entries(block(sb, token=None))
    second = fetch_entries(block(sb, token=None))
    assert first[1]["data"]["domain"] != "moved.example"
    assert second[1]["data"]["domain"] == "moved.example" and len(second) == 3
