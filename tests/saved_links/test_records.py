"""Claims and results in the app database, on SQLite and PostgreSQL."""

import threading

from flows.saved_links.records import LinkStore, Media, MediaStore

MEDIA = Media("generic k1", "links/direct/a-1.mp4", 1234, "A clip", "direct")


def test_a_row_claimed_by_one_run_is_refused_to_another(app_db):
    store = LinkStore(app_db)
    assert store.claim("p1", "http://x/a.mp4", "run-a") is not None
    assert store.claim("p1", "http://x/a.mp4", "run-b") is None
    assert store.get("p1").claimed_by == "run-a"


def test_a_run_can_reclaim_its_own_row_on_retry(app_db):
    store = LinkStore(app_db)
    store.claim("p1", "u", "run-a")
    again = store.claim("p1", "u", "run-a")
    assert again.claimed_by == "run-a" and again.attempts == 2


def test_a_dead_holders_row_can_be_taken_over(app_db):
    store = LinkStore(app_db)
    store.claim("p1", "u", "dead-run")
    assert store.claim("p1", "u", "run-b", reclaimable={"dead-run"}).claimed_by == "run-b"


def test_concurrent_claims_give_the_row_to_exactly_one_run(app_db):
    store = LinkStore(app_db)
    store.claim("p1", "u", "first")
    store.mark_synced("p1")  # released: free for anyone
    winners = []
    barrier = threading.Barrier(8)

    def claim(run: str) -> None:
        barrier.wait()
        if store.claim("p1", "u", run):
            winners.append(run)

    threads = [threading.Thread(target=claim, args=(f"run-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_a_recorded_result_stays_unsynced_until_notion_has_it(app_db):
    store = LinkStore(app_db)
    store.claim("p1", "u", "run-a")
    store.record_result("p1", platform="direct", media=MEDIA)
    record = store.get("p1")
    assert record.unsynced_result and record.outcome == "done" and record.file == MEDIA.file
    store.mark_synced("p1")
    record = store.get("p1")
    assert not record.unsynced_result and record.claimed_by is None
    assert record.synced_at.tzinfo is not None


def test_failures_keep_their_class_and_message(app_db):
    store = LinkStore(app_db)
    store.claim("p2", "u", "run-a")
    store.record_result("p2", platform=None, error_class="Removed", error_message="HTTP 404")
    record = store.get("p2")
    assert (record.outcome, record.error_class, record.error_message) == (
        "failed",
        "Removed",
        "HTTP 404",
    )


def test_the_download_archive_finds_media_by_key(app_db):
    archive = MediaStore(app_db)
    assert archive.lookup(MEDIA.media_key) is None
    archive.add(MEDIA, "http://x/a.mp4")
    archive.add(MEDIA, "http://x/a.mp4")  # re-adding the same media is harmless
    assert archive.lookup(MEDIA.media_key) == MEDIA
