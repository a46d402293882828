"""Health findings as plain data: thresholds, freshness, deployments."""

from datetime import UTC, datetime, timedelta

import pytest

from flows.camera.health import freshness
from flows.common.health import CRITICAL, OK, WARNING, Check
from flows.health import checks
from flows.health.checks import DeploymentRuns

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TEN = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("used", "status"), [(79.9, OK), (80.0, WARNING), (89.9, WARNING), (90.0, CRITICAL)]
)
def test_disk_use_of_80_percent_warns_and_90_is_critical(used, status):
    assert checks.disk(used, 80, 90).status == status


def test_a_stream_is_stale_after_more_than_two_intervals():
    assert freshness("in_gate", NOW - 2 * TEN, None, NOW, TEN).status == OK
    stale = freshness("in_gate", NOW - 2 * TEN - timedelta(seconds=1), None, NOW, TEN)
    assert stale.status == CRITICAL and "stale" in stale.detail


def test_a_frozen_camera_is_critical_and_a_new_one_only_warns():
    frozen = freshness("out_gate", NOW - TEN, NOW - TEN, NOW, TEN)
    assert frozen.status == CRITICAL and "frozen" in frozen.detail
    assert freshness("out_gate", None, None, NOW, TEN).status == WARNING


def runs(**changes) -> DeploymentRuns:
    values = dict(
        name="camera-download/every-10-minutes",
        last_state="Completed",
        last_state_type="COMPLETED",
        last_run_at=NOW - TEN,
        next_run_at=NOW + TEN,
        next_state="Scheduled",
        paused=False,
    )
    return DeploymentRuns(**{**values, **changes})


def test_deployments_report_their_last_state_and_next_run():
    check = checks.deployment(runs())
    assert check.status == OK
    assert "last Completed" in check.detail and (NOW + TEN).isoformat() in check.detail
    assert checks.deployment(runs(last_state="Crashed", last_state_type="CRASHED")).status == (
        WARNING
    )
    assert checks.deployment(runs(next_state="Late")).status == WARNING
    never = checks.deployment(runs(last_state=None, last_state_type=None, last_run_at=None))
    assert never.status == OK and "never ran" in never.detail
    assert "paused" in checks.deployment(runs(paused=True)).detail


def test_the_document_takes_the_worst_status():
    found = [Check("a", OK, ""), Check("b", WARNING, ""), Check("c", OK, "")]
    assert checks.document(found, NOW)["status"] == WARNING
    assert checks.overall([*found, Check("d", CRITICAL, "")]) == CRITICAL
    assert checks.overall([]) == OK
    table = checks.markdown([*found, Check("d", CRITICAL, "x|y")], NOW)
    assert table.splitlines()[4].startswith(r"| d | critical | x\|y")


def test_a_running_run_that_went_silent_or_outlived_its_timeout_is_critical():
    minute = timedelta(minutes=1)
    silent = checks.running_run("morning-1", 11 * minute, 30 * minute, 10 * minute, None)
    assert silent.status == CRITICAL and "silent for 11 min" in silent.detail
    overdue = checks.running_run("r", minute, 5 * 60 * minute, 10 * minute, 4 * 60 * minute)
    assert overdue.status == CRITICAL and "longer than its timeout of 4.0 h" in overdue.detail
    assert checks.running_run("r", minute, 30 * minute, 10 * minute, 4 * 60 * minute) is None
    assert checks.running_run("r", None, None, 10 * minute, None) is None
