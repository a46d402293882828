"""A video job's records: one row per request across its runs, a stage row only for
work really done, and the health findings a user acts on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from flows.common.health import OK, WARNING
from flows.common.times import utcnow
from flows.video import jobs
from flows.video.health import failed_jobs, quota_use, stuck_jobs, waiting_jobs
from flows.video.quota import reserve
from flows.video.request import VideoRequest
from flows.video.tables import video_jobs

REQUEST = VideoRequest(topic="Three Python tips", duration_seconds=20, tags=["python"])


def test_a_second_run_of_the_same_request_takes_the_job_over(app_db: Engine):
    first = jobs.open_job(app_db, REQUEST, "run-1")
    assert first["status"] == jobs.CREATED and first["request"]["topic"] == REQUEST.topic
    jobs.advance(app_db, REQUEST.job_key(), jobs.SCRIPTED, title="Tips")
    jobs.fail(app_db, REQUEST.job_key(), RuntimeError("upload: 503"))

    again = jobs.open_job(app_db, REQUEST, "run-2")
    assert again["job_key"] == first["job_key"]
    assert again["flow_run_id"] == "run-2" and again["error"] is None
    assert again["status"] == jobs.FAILED  # until a stage moves it on
    assert again["title"] == "Tips"


def test_a_job_held_by_a_live_run_is_refused_and_a_dead_holder_taken_over(app_db: Engine):
    jobs.open_job(app_db, REQUEST, "run-1")
    with pytest.raises(jobs.JobBusy) as busy:
        jobs.open_job(app_db, REQUEST, "run-2", alive=lambda run: run == "run-1")
    assert busy.value.holder == "run-1"
    assert jobs.open_job(app_db, REQUEST, "run-1", alive=lambda run: True)["flow_run_id"] == "run-1"
    taken = jobs.open_job(app_db, REQUEST, "run-2", alive=lambda run: False)
    assert taken["flow_run_id"] == "run-2"


def test_of_two_runs_taking_over_a_dead_holder_at_once_one_wins(app_db: Engine):
    jobs.open_job(app_db, REQUEST, "dead-run")

    def meanwhile(run: str) -> bool:
        if run == "dead-run":  # run-3 takes the job over between our read and our write
            jobs.open_job(app_db, REQUEST, "run-3")
            return False
        return run == "run-3"

    with pytest.raises(jobs.JobBusy, match="run-3"):
        jobs.open_job(app_db, REQUEST, "run-2", alive=meanwhile)
    assert jobs.job(app_db, REQUEST.job_key())["flow_run_id"] == "run-3"


def test_only_stages_that_finished_leave_a_row(app_db: Engine):
    key = jobs.open_job(app_db, REQUEST, None)["job_key"]
    with jobs.stage_run(app_db, key, "render", "run-1"):
        pass
    with pytest.raises(RuntimeError), jobs.stage_run(app_db, key, "upload", "run-1"):
        raise RuntimeError("dropped")
    with jobs.stage_run(app_db, key, "upload", "run-2"):
        pass
    assert jobs.stage_counts(app_db, key) == {"render": 1, "upload": 1}


def test_an_unknown_status_or_column_is_refused(app_db: Engine):
    key = jobs.open_job(app_db, REQUEST, None)["job_key"]
    with pytest.raises(ValueError, match="done"):
        jobs.advance(app_db, key, "done")
    with pytest.raises(ValueError, match="colour"):
        jobs.advance(app_db, key, jobs.RENDERED, colour="red")


def test_health_names_failed_stuck_and_waiting_jobs(app_db: Engine):
    now = utcnow()
    assert failed_jobs(app_db, now, timedelta(hours=24)).status == OK
    assert stuck_jobs(app_db, now) is None and waiting_jobs(app_db) is None

    failed = jobs.open_job(app_db, VideoRequest(topic="a failing one"), None)["job_key"]
    jobs.fail(app_db, failed, "ScriptError: llm-endpoint answered no JSON twice")
    stuck = jobs.open_job(app_db, VideoRequest(topic="a stuck one"), None)["job_key"]
    jobs.advance(app_db, stuck, jobs.UPLOADING)
    with app_db.begin() as conn:
        conn.execute(
            update(video_jobs)
            .where(video_jobs.c.job_key == stuck)
            .values(updated_at=now - timedelta(hours=6))
        )
    waiting = jobs.open_job(app_db, VideoRequest(topic="a waiting one"), None)["job_key"]
    jobs.advance(app_db, waiting, jobs.RESCHEDULED, error="quota")

    found = failed_jobs(app_db, now, timedelta(hours=24))
    assert found.status == WARNING and failed[:12] in found.detail
    assert "answered no JSON twice" in found.detail
    stale = stuck_jobs(app_db, now)
    assert stale.status == WARNING and stuck[:12] in stale.detail and "again" in stale.detail
    assert waiting_jobs(app_db).detail.startswith("1 job(s) wait")


def test_health_warns_when_a_quota_budget_is_nearly_spent(app_db: Engine):
    now = utcnow()
    limits = {"uploads": 10, "units": 10_000}
    assert quota_use(app_db, now, "youtube-channel", limits).status == OK
    with app_db.begin() as conn:
        reserve(conn, "youtube-channel", "uploads", 9, 10, now=now)
        reserve(conn, "youtube-channel", "units", 50, 10_000, now=now)
    found = quota_use(app_db, now, "youtube-channel", limits)
    assert found.status == WARNING and "uploads 9/10, units 50/10000" in found.detail
