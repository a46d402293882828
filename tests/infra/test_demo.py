"""`make demo` runs what the workflows declare, reporters last, one short line each."""

from types import SimpleNamespace

from prefect.states import Completed, Failed, Running

from infra.demo import SUMMARY_WIDTH, declared_runs, summary


def test_every_declared_run_comes_once_and_the_health_check_after_the_others():
    runs = declared_runs()
    names = [run.deployment for run in runs]
    # One deployment may run more than once (a scan per demo site), never with the same
    # parameters twice.
    keys = [(run.deployment, sorted(run.parameters.items())) for run in runs]
    assert all(keys.count(key) == 1 for key in keys)
    assert names[-1] == "health-check/every-5-minutes"
    assert {"saved-links/three-times-daily", "camera-download/every-10-minutes"} <= set(names)


def test_a_summary_is_the_runs_own_one_line_message_cut_short():
    assert summary(SimpleNamespace(state=Completed(message="8 links: 3 done, 5 failed"))) == (
        "8 links: 3 done, 5 failed"
    )
    failed = Failed(
        message="Flow run encountered an exception: CameraError: " + "x" * 300 + "\nTraceback"
    )
    line = summary(SimpleNamespace(state=failed))
    assert len(line) == SUMMARY_WIDTH and line.endswith("...") and "\n" not in line
    assert summary(SimpleNamespace(state=Running())) == "still running"
