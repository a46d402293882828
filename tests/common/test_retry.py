"""One retry policy: doubling delays with a cap, and permanent errors never retried."""

from types import SimpleNamespace

import pytest
from prefect import flow, task
from prefect.states import Failed

from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.common.retry import backoff, retry_policy, retryable


def test_delays_double_from_the_first_and_stop_at_the_cap():
    assert backoff(60, 3, cap=600) == [60, 120, 240]
    assert backoff(60, 6, cap=600) == [60, 120, 240, 480, 600, 600]
    assert backoff(5, 3) == [5, 10, 20]


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (PermanentError("dead link"), False),
        (ConfigError("bad parameter"), False),
        (TransientError("503"), True),
        (OSError("connection reset"), True),  # not ours: failing late beats dropping work
    ],
)
def test_only_permanent_errors_are_refused_a_retry(error, retried):
    assert retryable(None, SimpleNamespace(), Failed(data=error)) is retried


def test_a_task_with_the_policy_retries_transient_errors_and_not_permanent_ones(prefect_harness):
    calls = {"transient": 0, "permanent": 0}

    @task(**retry_policy(retries=2, first_delay=0.01, jitter=0))
    def flaky(kind: str) -> None:
        calls[kind] += 1
        raise (TransientError if kind == "transient" else PermanentError)(kind)

    @flow
    def both() -> None:
        for kind in calls:
            flaky(kind, return_state=True)

    both()
    assert calls == {"transient": 3, "permanent": 1}
