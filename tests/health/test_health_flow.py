"""health-check under the Prefect test harness: a real API, a real app database."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Failed, Running, Scheduled

from blocks.camera import CameraPortal
from flows.camera.flow import camera_download
from flows.camera.records import ImageIndex, StoredImage
from flows.common.db import connector
from flows.health.flow import check_running_runs, health_check


@pytest.fixture
def health(data_dir, local_app_db, app_db_block, save_block):
    """A camera deployment downloading in_gate and out_gate every 10 minutes, an app DB
    and a data directory; returns (params, index, data_dir)."""
    portal = CameraPortal(base_url="http://127.0.0.1:9/camera", username="u", password="p")
    portal_block = save_block(portal, "portal")
    name = f"health-{uuid.uuid4().hex[:8]}"
    camera_download.to_deployment(
        name=name, interval=600, parameters={"streams": ["in_gate", "out_gate"]}
    ).apply()
    camera = {"deployment": f"camera-download/{name}", "portal_block": portal_block}
    params = {"workflow_options": {"camera": camera}, "app_db_block": app_db_block}
    return params, ImageIndex(local_app_db.engine), data_dir


def camera_deployment(params: dict) -> str:
    return params["workflow_options"]["camera"]["deployment"]


def keep(index: ImageIndex, stream: str, age: timedelta, sha: str = "a" * 64) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - age
    index.add(StoredImage(stream, at, f"images/{stream}/{at:%Y%m%dT%H%M%SZ}.jpg", sha, 1, 1, 1))


def test_fresh_streams_and_a_reachable_database_are_healthy(health, run_artifacts):
    params, index, data = health
    keep(index, "in_gate", timedelta(minutes=5))
    keep(index, "out_gate", timedelta(minutes=19))
    upcoming = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=7)
    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name(camera_deployment(params))
        client.create_flow_run_from_deployment(dep.id, state=Scheduled(scheduled_time=upcoming))
    state = health_check(**params, return_state=True)

    assert state.is_completed(), state.message
    written = json.loads((data / "health.json").read_text())
    by_name = {c["name"]: c for c in written["checks"]}
    assert by_name["app database"]["status"] == "ok"
    assert by_name["camera in_gate"]["status"] == "ok"
    assert by_name["camera out_gate"]["status"] == "ok"
    assert by_name["disk"]["detail"].endswith("critical at 90 %)")
    dep = by_name[f"deployment {camera_deployment(params)}"]
    assert dep["detail"] == f"never ran; next {upcoming.isoformat()}"
    assert written["status"] in {"ok", "warning"}
    (markdown,) = [a.data for a in run_artifacts(state) if a.key == "health"]
    assert "| camera in_gate | ok |" in markdown


def test_a_stream_without_images_for_two_intervals_fails_the_run(health):
    params, index, data = health
    keep(index, "in_gate", timedelta(minutes=5))
    keep(index, "out_gate", timedelta(minutes=21))
    state = health_check(**params, return_state=True)

    assert state.is_failed()
    assert "camera out_gate: stale" in str(state.result(raise_on_failure=False))
    assert json.loads((data / "health.json").read_text())["status"] == "critical"


def test_a_frozen_camera_fails_the_run(health):
    params, index, _ = health
    keep(index, "in_gate", timedelta(minutes=5))
    keep(index, "out_gate", timedelta(minutes=5))
    index.reject("out_gate", datetime.now(UTC), "frozen", "byte-identical", "u")
    state = health_check(**params, return_state=True)
    assert state.is_failed() and "out_gate: frozen" in str(state.result(raise_on_failure=False))


def test_an_unreachable_database_is_critical_and_named(health, tmp_path):
    params, _, data = health
    broken = f"broken-db-{uuid.uuid4().hex[:8]}"
    connector(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir'}").save(broken)
    (tmp_path / "no" / "such" / "dir").mkdir(parents=True)  # a folder is no database file
    state = health_check(**{**params, "app_db_block": broken}, return_state=True)

    assert state.is_failed()
    assert "app database: unreachable" in str(state.result(raise_on_failure=False))
    checks = json.loads((data / "health.json").read_text())["checks"]
    assert not any(c["name"].startswith("camera") for c in checks), "no stream check without DB"


def test_disk_use_over_the_critical_threshold_fails_the_run(health):
    params, index, _ = health
    keep(index, "in_gate", timedelta(minutes=1))
    keep(index, "out_gate", timedelta(minutes=1))
    state = health_check(
        **params, disk_warning_percent=0.001, disk_critical_percent=0.001, return_state=True
    )
    assert state.is_failed() and "disk:" in str(state.result(raise_on_failure=False))


def test_a_deployment_whose_last_run_failed_is_a_warning_with_its_next_run(health):
    params, index, data = health
    keep(index, "in_gate", timedelta(minutes=1))
    keep(index, "out_gate", timedelta(minutes=1))
    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name(camera_deployment(params))
        run = client.create_flow_run_from_deployment(dep.id)
        client.set_flow_run_state(run.id, Running(), force=True)
        client.set_flow_run_state(run.id, Failed(message="boom"), force=True)
    state = health_check(**params, return_state=True)

    assert state.is_completed()
    checks = {c["name"]: c for c in json.loads((data / "health.json").read_text())["checks"]}
    mine = checks[f"deployment {camera_deployment(params)}"]
    assert mine["status"] == "warning" and mine["detail"].startswith("last Failed at")


def test_contradictory_thresholds_are_refused_by_name(health):
    params, _, _ = health
    state = health_check(
        **params, disk_warning_percent=95, disk_critical_percent=90, return_state=True
    )
    assert state.is_failed() and "disk_warning_percent" in str(state.result(raise_on_failure=False))


def test_the_run_summary_names_the_warnings(health):
    params, index, _ = health
    keep(index, "in_gate", timedelta(minutes=1))
    state = health_check(**params, return_state=True)  # out_gate has no image yet: a warning
    assert state.is_completed()
    assert state.message.startswith("warning: ")
    assert "camera out_gate" in state.message


def test_options_for_an_unknown_workflow_are_refused_by_name(health):
    params, _, _ = health
    state = health_check(**{**params, "workflow_options": {"kamera": {}}}, return_state=True)
    assert state.is_failed()
    assert "unknown workflow(s) ['kamera']" in str(state.result(raise_on_failure=False))


def test_an_option_the_camera_check_does_not_take_is_refused_by_name(health):
    params, _, _ = health
    options = {"camera": {**params["workflow_options"]["camera"], "stale_after": 3}}
    state = health_check(**{**params, "workflow_options": options}, return_state=True)
    assert state.is_failed()
    assert "health options for 'camera'" in str(state.result(raise_on_failure=False))


def test_a_workflow_check_that_breaks_is_a_critical_finding_not_a_crash(health, tmp_path):
    params, _, data = health
    name = f"no-streams-{uuid.uuid4().hex[:8]}"
    camera_download.to_deployment(name=name, interval=600).apply()  # streams from the block
    options = {"camera": {"deployment": f"camera-download/{name}", "portal_block": "missing"}}
    state = health_check(**{**params, "workflow_options": options}, return_state=True)

    assert state.is_failed()
    checks = {c["name"]: c for c in json.loads((data / "health.json").read_text())["checks"]}
    assert checks["Camera images"]["status"] == "critical"
    assert checks["Camera images"]["detail"].startswith("could not be checked: ValueError")


def running_run(params: dict) -> object:
    """A run of the camera deployment that is Running; no process stands behind it."""
    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name(camera_deployment(params))
        run = client.create_flow_run_from_deployment(dep.id)
        client.set_flow_run_state(run.id, Running(), force=True)
        return client.read_flow_run(run.id)


def end(run) -> None:
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Failed(message="ended by the test"), force=True)


def test_a_running_run_whose_heartbeats_stopped_is_critical(health):
    """Seen 20 minutes later (the server cannot be asked to backdate a start)."""
    params, _, _ = health
    run = running_run(params)
    later = datetime.now(UTC) + timedelta(minutes=20)
    try:
        found = check_running_runs.fn(later, timedelta(minutes=10))
    finally:
        end(run)
    (mine,) = [c for c in found if c.name == f"run {run.name}"]
    assert mine.status == "critical"
    assert mine.detail.startswith("Running but silent for 20 min")


def test_a_running_run_that_beats_but_outlived_its_flows_timeout_is_critical(health):
    from prefect.events import emit_event

    params, _, _ = health
    run = running_run(params)
    later = datetime.now(UTC) + timedelta(minutes=30)  # camera-download's timeout: 15 min
    emit_event(
        event="prefect.flow-run.heartbeat",
        resource={"prefect.resource.id": f"prefect.flow-run.{run.id}"},
        occurred=later - timedelta(minutes=1),
    )
    deadline = time.monotonic() + 20
    try:
        while True:  # the server stores an event a moment after it is sent
            found = {c.name: c for c in check_running_runs.fn(later, timedelta(minutes=10))}
            mine = found.get(f"run {run.name}")
            if (mine and "timeout" in mine.detail) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        end(run)
    assert mine.status == "critical"
    assert mine.detail == "Running for 30 min, longer than its timeout of 17 min"
