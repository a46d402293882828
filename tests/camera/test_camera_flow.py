"""camera-download under the Prefect test harness, against the sandbox portal,
with the real browser, httpx and Pillow: every fault the portal can throw."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import delete

from flows.camera.flow import camera_cleanup, camera_download
from flows.camera.images import image_path
from flows.camera.records import StoredImage, camera_images
from flows.common.paths import atomic_write_bytes

LATER = "2026-11-26T12:30:00Z"


def frame(hhmm: str) -> str:
    """The portal's file name of the frame captured at hh:mm on the test day."""
    at = datetime(2026, 11, 26, int(hhmm[:2]), int(hhmm[2:]), tzinfo=UTC)
    return f"{int(at.timestamp())}.jpg"


@pytest.fixture
def artifacts(run_artifacts):
    """A flow run's artifacts by key."""
    return lambda state: {a.key: a for a in run_artifacts(state)}


def test_both_streams_are_kept_indexed_and_not_fetched_again(camera_flow, sb, artifacts):
    setup = camera_flow({"in_gate": {"window": 6}, "out_gate": {"window": 6}})
    state = camera_download(**setup.params(), return_state=True)
    result = state.result()

    assert result["kept"] == 12
    assert {s: r["kept"] for s, r in result["streams"].items()} == {"in_gate": 6, "out_gate": 6}
    for stream in ("in_gate", "out_gate"):
        files = setup.images(stream)
        assert [f.name for f in files][-1] == "20261126T120000Z.jpg"
        assert files[-1].parent == setup.data_dir / "images" / stream / "2026" / "11" / "26"
        noon = datetime(2026, 11, 26, 12, tzinfo=UTC)
        (row,) = setup.index.kept_between(stream, noon, noon)
        served = {f["captured_at"]: f for f in sb.camera.frames(stream)}
        assert row.sha256 == served["2026-11-26T12:00:00Z"]["sha256"]
        assert (row.width, row.height) == (320, 240)
        assert (setup.data_dir / row.path).read_bytes() == files[-1].read_bytes()
    table = artifacts(state)["camera-download"].data
    assert '"kept": 6' in table and "out_gate" in table

    # One login per stream, or one for both when a stream saves its session before the
    # other starts: how the two streams interleave decides, not the product.
    logins = sb.camera.stats()["logins"]
    assert logins in (1, 2)
    sb.clear_requests()
    again = camera_download(**setup.params())
    assert again["kept"] == 0
    assert setup.image_gets() == [], "nothing known is fetched twice"
    assert sb.camera.stats()["logins"] == logins, "the second run reused the saved session"


def test_the_next_run_fetches_only_the_frames_published_since(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 3}}, now="2026-11-26T12:00:00Z")
    camera_download(**setup.params())
    sb.camera.clock(LATER)
    sb.clear_requests()
    result = camera_download(**setup.params())
    assert result["kept"] == 3
    fetched = sorted(r["path"].rsplit("/", 1)[1] for r in setup.image_gets())
    assert fetched == [frame("1210"), frame("1220"), frame("1230")]


def test_broken_frames_are_refused_by_reason_and_the_rest_kept(camera_flow, sb, artifacts):
    kinds = {
        "2026-11-26T11:10:00Z": "truncated",
        "2026-11-26T11:20:00Z": "html",
        "2026-11-26T11:30:00Z": "empty",
        "2026-11-26T11:40:00Z": "missing",
    }
    setup = camera_flow({"in_gate": {"window": 6, "kinds": kinds}})
    state = camera_download(**setup.params(), return_state=True)

    assert state.is_completed(), "one bad frame never sinks the batch"
    row = state.result()["streams"]["in_gate"]
    assert row["kept"] == 2
    assert row["rejected"] == {"corrupt": 1, "not_an_image": 1, "empty": 1, "gone": 1}
    refused = artifacts(state)["camera-rejects"].data
    assert "truncated" in refused or "does not decode" in refused
    kept = [f.name for f in setup.images("in_gate")]
    assert kept == ["20261126T115000Z.jpg", "20261126T120000Z.jpg"]
    sb.clear_requests()
    camera_download(**setup.params())
    assert setup.image_gets() == [], "refused frames are not fetched every 10 minutes"


def test_a_frozen_camera_is_marked_and_its_repeats_not_stored(camera_flow, sb):
    setup = camera_flow({"out_gate": {"window": 6, "frozen_from": "2026-11-26T11:40:00Z"}})
    result = camera_download(**setup.params())
    row = result["streams"]["out_gate"]
    assert row["kept"] == 3 and row["rejected"] == {"frozen": 3}
    assert row["frozen_since"] == "2026-11-26T11:40:00+00:00"
    digests = [
        r.sha256
        for r in setup.index.kept_between(
            "out_gate", datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC)
        )
    ]
    assert len(digests) == len(set(digests)) == 3, "the same image is never stored twice"


def test_a_session_that_expires_mid_run_logs_in_once_more_and_loses_nothing(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 8}})
    sb.camera.expire(4)  # the page and three images, then every session is void
    result = camera_download(**setup.params(concurrent_downloads=1))

    assert result["streams"]["in_gate"]["kept"] == 8
    assert result["streams"]["in_gate"]["logins"] == 2
    ok = Counter(r["path"] for r in setup.image_gets("in_gate") if r["status"] == 200)
    assert len(ok) == 8 and set(ok.values()) == {1}, "no image downloaded twice"


def test_server_errors_are_retried_by_the_stream_task_without_refetching_kept_images(
    camera_flow, sb
):
    setup = camera_flow({"in_gate": {"window": 4}})
    flaky = rf"^/camera/images/in_gate/{frame('1200')}$"
    sb.add_fault(flaky, status=500, times=2)
    result = camera_download(**setup.params())

    assert result["streams"]["in_gate"]["kept"] == 4
    assert [r["status"] for r in sb.requests(flaky)] == [500, 500, 200]
    others = Counter(r["path"] for r in setup.image_gets("in_gate") if r["status"] == 200)
    assert set(others.values()) == {1}


def test_a_stream_that_keeps_failing_fails_the_run_with_evidence_the_other_stream_is_kept(
    camera_flow, sb, artifacts
):
    setup = camera_flow({"in_gate": {"window": 2}, "out_gate": {"window": 2}})
    sb.add_fault(r"^/camera/streams/out_gate$", status=503)
    state = camera_download(**setup.params(), return_state=True)

    assert state.is_failed()
    assert "out_gate" in state.message or "out_gate" in str(state.result(raise_on_failure=False))
    assert len(sb.requests(r"^/camera/streams/out_gate$")) == 4, "first try and 3 retries"
    assert len(setup.images("in_gate")) == 2
    failures = setup.data_dir / "images" / "_failures"
    assert {p.suffix for p in failures.iterdir()} == {".html", ".png"}
    links = artifacts(state)["camera-failures"].data
    assert "_failures/out_gate-" in links and ".png" in links


def test_a_wrong_password_fails_at_once_and_never_shows_the_password(camera_flow, sb):
    setup = camera_flow({"in_gate": {}})
    setup.portal.password = SecretStr("wrong-pass-123")
    setup.portal.save(setup.portal_block, overwrite=True)
    state = camera_download(**setup.params(), return_state=True)

    assert state.is_failed()
    message = str(state.result(raise_on_failure=False))
    assert "'password'" in message and "wrong-pass-123" not in message
    assert sb.camera.stats()["failed_logins"] == 1, "not retried"


def test_batch_size_takes_the_oldest_new_images_and_leaves_the_rest(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 5}})
    first = camera_download(**setup.params(batch_size=2))["streams"]["in_gate"]
    assert first["kept"] == 2 and first["backlog"] == 3
    assert [f.name[9:13] for f in setup.images("in_gate")] == ["1120", "1130"]
    second = camera_download(**setup.params(batch_size=2))["streams"]["in_gate"]
    assert second["kept"] == 2 and second["backlog"] == 1


def test_bad_parameters_are_refused_by_name_before_the_portal_is_asked(camera_flow, sb):
    setup = camera_flow({"in_gate": {}})
    for params, name in (
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 1001}, "batch_size"),
        ({"concurrent_downloads": 0}, "concurrent_downloads"),
        ({"streams": ["in_gate", "north_gate"]}, "north_gate"),
    ):
        state = camera_download(**setup.params(**params), return_state=True)
        assert state.is_failed() and name in str(state.result(raise_on_failure=False))
    assert sb.requests(r"^/camera/") == []


def test_a_file_written_before_a_crash_is_indexed_without_a_second_download(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 3}})
    camera_download(**setup.params())
    with setup.engine.begin() as conn:  # as if the run died between rename and insert
        conn.execute(delete(camera_images))
    sb.clear_requests()
    result = camera_download(**setup.params())
    assert result["streams"]["in_gate"]["kept"] == 3
    assert setup.image_gets() == []


def test_cleanup_deletes_expired_images_and_reports_what_it_freed(camera_flow, artifacts):
    setup = camera_flow({"in_gate": {}})
    now = datetime.now(UTC).replace(microsecond=0)
    paths = [keep_file(setup, now - timedelta(days=age)) for age in (40, 35, 2, 1, 0)]
    state = camera_cleanup(
        retention_days=30, app_db_block=setup.app_db_block, max_delete_share=0.5,
        return_state=True,
    )  # fmt: skip

    assert state.is_completed(), state.message
    summary = state.result()
    assert (summary["files_deleted"], summary["rows_deleted"]) == (2, 2)
    assert [(setup.data_dir / p).exists() for p in paths] == [False, False, True, True, True]
    report = artifacts(state)["camera-cleanup"].data
    assert "Deleted 2 file(s), 2 row(s)" in report


def test_cleanup_refuses_to_wipe_most_of_the_archive_and_shows_the_plan(camera_flow, artifacts):
    setup = camera_flow({"in_gate": {}})
    now = datetime.now(UTC).replace(microsecond=0)
    paths = [keep_file(setup, now - timedelta(days=age)) for age in (5, 4, 3, 2)]
    state = camera_cleanup(
        retention_days=1, app_db_block=setup.app_db_block, return_state=True
    )  # a retention set too short by mistake

    assert state.is_failed()
    assert "force=true" in str(state.result(raise_on_failure=False))
    assert all((setup.data_dir / p).exists() for p in paths), "nothing deleted"
    assert "planned_deletions | 4" in artifacts(state)["camera-cleanup"].data


def keep_file(setup, at: datetime) -> str:
    """An indexed image captured at `at`, as the download flow stores one."""
    path = image_path("in_gate", at, "jpg")
    atomic_write_bytes(setup.data_dir / path, b"\xff\xd8 not decoded by cleanup")
    setup.index.add(StoredImage("in_gate", at, path, "0" * 64, 26, 1, 1))
    return path


def test_a_frame_larger_than_the_cap_is_refused_as_too_large_not_read_whole(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 2}}, max_image_bytes=1000)
    result = camera_download(**setup.params())
    row = result["streams"]["in_gate"]
    assert row["kept"] == 0 and row["rejected"] == {"too_large": 2}
    assert setup.images("in_gate") == []
    sb.clear_requests()
    camera_download(**setup.params())
    assert setup.image_gets() == [], "a refused frame is remembered, not fetched again"


def test_a_portal_that_answers_too_slowly_is_given_up_on_and_retried(camera_flow, sb):
    setup = camera_flow({"in_gate": {"window": 1}}, timeout_seconds=1)
    sb.add_fault(r"^/camera/images/", delay_ms=3000, times=1)
    result = camera_download(**setup.params())
    assert result["kept"] == 1, "the retry fetched it"
