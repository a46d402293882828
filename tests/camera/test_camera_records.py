"""The camera image index on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

from flows.camera.download import select_pending
from flows.camera.portal import ListedImage
from flows.camera.records import ImageIndex, StoredImage

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TEN = timedelta(minutes=10)


def stored(stream: str, at: datetime, sha: str = "a" * 64) -> StoredImage:
    path = f"images/{stream}/{at:%Y/%m/%d/%Y%m%dT%H%M%SZ}.jpg"
    return StoredImage(stream, at, path, sha, 1000, 320, 240)


def test_the_same_stream_and_time_is_indexed_once(app_db):
    index = ImageIndex(app_db)
    assert index.add(stored("in_gate", T0)) is True
    assert index.add(stored("in_gate", T0, sha="b" * 64)) is False
    assert index.add(stored("out_gate", T0)) is True
    assert [i.sha256 for i in index.kept_between("in_gate", T0, T0)] == ["a" * 64]


def test_known_times_include_kept_and_refused_frames(app_db):
    index = ImageIndex(app_db)
    index.add(stored("in_gate", T0))
    index.reject("in_gate", T0 + TEN, "corrupt", "cut short", "http://portal/1.jpg")
    index.reject("in_gate", T0 + TEN, "gone", "second reason is ignored", "http://portal/1.jpg")
    index.add(stored("out_gate", T0 + 2 * TEN))
    assert index.known("in_gate", T0) == {T0, T0 + TEN}
    assert index.known("in_gate", T0 + TEN) == {T0 + TEN}


def test_previous_and_latest_kept_image(app_db):
    index = ImageIndex(app_db)
    for i in range(3):
        index.add(stored("in_gate", T0 + i * TEN, sha=str(i) * 64))
    assert index.previous("in_gate", T0 + 2 * TEN).captured_at == T0 + TEN
    assert index.previous("in_gate", T0) is None
    assert index.latest(["in_gate", "out_gate"]) == {"in_gate": T0 + 2 * TEN, "out_gate": None}


def test_a_camera_is_frozen_while_every_frame_after_the_last_kept_one_repeats_it(app_db):
    index = ImageIndex(app_db)
    index.add(stored("in_gate", T0))
    assert index.frozen_since("in_gate", T0) is None
    index.reject("in_gate", T0 + TEN, "corrupt", "cut", "u")
    index.reject("in_gate", T0 + 2 * TEN, "frozen", "same", "u")
    index.reject("in_gate", T0 + 3 * TEN, "frozen", "same", "u")
    assert index.frozen_since("in_gate", T0) == T0 + 2 * TEN
    index.add(stored("in_gate", T0 + 4 * TEN, sha="c" * 64))  # the camera moves again
    assert index.frozen_since("in_gate", T0 + 4 * TEN) is None


def test_activity_counts_what_was_stored_since_a_moment(app_db):
    index = ImageIndex(app_db)
    index.add(stored("in_gate", T0))
    since = datetime.now(UTC)
    index.add(stored("in_gate", T0 + TEN))
    index.reject("in_gate", T0 + 2 * TEN, "empty", "0 bytes", "u")
    kept, nbytes, rejects = index.activity("in_gate", since)
    assert (kept, nbytes) == (1, 1000)
    assert [(r["reason"], r["captured_at"]) for r in rejects] == [
        ("empty", (T0 + 2 * TEN).isoformat())
    ]


def test_pending_images_are_the_unknown_ones_oldest_first_up_to_the_batch():
    listed = [ListedImage(T0 + i * TEN, f"u{i}") for i in (5, 4, 3, 2, 1, 0)]  # newest first
    known = {T0 + 1 * TEN, T0 + 4 * TEN}
    pending, left = select_pending(listed, known, batch_size=3)
    assert [p.url for p in pending] == ["u0", "u2", "u3"]
    assert left == 1


def test_an_earlier_image_that_failed_is_still_pending_after_later_ones_were_kept():
    listed = [ListedImage(T0 + i * TEN, f"u{i}") for i in range(4)]
    pending, _ = select_pending(listed, {T0, T0 + 2 * TEN, T0 + 3 * TEN}, batch_size=50)
    assert [p.url for p in pending] == ["u1"]
