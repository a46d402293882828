"""The camera and health deployments through a real server, `prefect deploy --all`,
a process worker and `prefect deployment run`; the app database is PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from flows.camera.records import camera_images
from infra.stack import ROOT

# one live stack per group, each group on one pytest worker (Makefile: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack-a")]


def test_the_deployed_camera_download_keeps_both_streams_in_postgresql(live):
    run = live.wait_final(
        live.run_deployment("retry_delay_seconds=1", name="camera-download/every-10-minutes")
    )
    assert run.state.name == "Completed", run.state.message

    for stream in ("in_gate", "out_gate"):
        assert list((live.stack.data_dir / "images" / stream).rglob("*.jpg"))
    engine = create_engine(live.pg_url)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(camera_images.c.stream, func.count()).group_by(camera_images.c.stream)
            ).all()
        )
    engine.dispose()
    assert counts == {"in_gate": 12, "out_gate": 12}  # the demo portal lists 12 per stream


def test_the_health_check_then_finds_fresh_streams_and_writes_health_json(live):
    live.wait_final(live.run_deployment(name="camera-download/every-10-minutes"))
    run = live.wait_final(live.run_deployment(name="health-check/every-5-minutes"))
    assert run.state.name == "Completed", run.state.message

    health = json.loads((live.stack.data_dir / "health.json").read_text())
    checks = {c["name"]: c for c in health["checks"]}
    assert checks["app database"]["status"] == "ok"
    assert checks["camera in_gate"]["status"] == "ok"
    assert checks["camera out_gate"]["status"] == "ok"
    assert checks["deployment camera-download/every-10-minutes"]["detail"].startswith(
        "last Completed"
    )


def test_a_cleanup_dry_run_deletes_nothing(live):
    before = sorted((live.stack.data_dir / "images").rglob("*.jpg"))
    run = live.wait_final(live.run_deployment("dry_run=true", name="camera-cleanup/daily"))
    assert run.state.name == "Completed", run.state.message
    assert sorted((live.stack.data_dir / "images").rglob("*.jpg")) == before


def test_prefect_deploy_refuses_a_camera_interval_under_5_minutes(live, tmp_path):
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    (camera,) = [d for d in config["deployments"] if d["name"] == "every-10-minutes"]
    camera["schedules"][0]["interval"] = 120
    camera["build"][0]["flows.camera.config.check_download_deployment"]["schedules"] = camera[
        "schedules"
    ]
    config["deployments"] = [camera]
    bad = tmp_path / "prefect.yaml"
    bad.write_text(yaml.safe_dump(config))

    proc = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
         "--prefect-file", str(bad)],
        cwd=ROOT, env=live.stack.env(), capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "at least 5 minutes" in proc.stdout + proc.stderr
    dep = live.api(lambda c: c.read_deployment_by_name("camera-download/every-10-minutes"))
    assert [s.schedule.interval.total_seconds() for s in dep.schedules] == [600.0]
