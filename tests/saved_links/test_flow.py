"""The saved-links flow under the Prefect test harness, against the sandbox."""

from __future__ import annotations

from datetime import datetime

from notion_client import Client
from pydantic import SecretStr

from blocks.notion import NotionLinksSource
from flows.saved_links.flow import saved_links

MEDIA_GETS = r"^/media/files/"


def media(sb, path: str) -> str:
    return sb.media.url(path)


def test_a_mixed_batch_ends_every_row_done_or_failed(links, sb):
    rows = [
        {"url": media(sb, "files/clip-one.mp4")},
        {"url": media(sb, "files/photo.jpg"), "status": "New"},
        {"url": media(sb, "pages/talk.html")},
        {"url": media(sb, "gone/old.mp4")},
        {"url": media(sb, "forbidden/secret.mp4")},
        {"url": media(sb, "login/private-reel")},
        {"url": media(sb, "fake/promised.mp4")},
        {"url": "not a link at all"},
        {"url": None},
        {"url": media(sb, "files/already.mp4"), "status": "Done"},
    ]
    setup = links(rows)
    counts = saved_links(**setup.params())

    assert counts == {
        "found": 8,
        "processed": 8,
        "done": 3,
        "failed": 5,
        "skipped": 0,
        "downloaded": 3,
    }
    ids = setup.page_ids
    assert [setup.status(p) for p in ids] == ["Done"] * 3 + ["Failed"] * 5 + [None, "Done"]
    errors = [setup.prop_text(p, "Error").split(":")[0] for p in ids[3:8]]
    assert errors == ["Removed", "AccessDenied", "LoginRequired", "Unsupported", "InvalidURL"]

    for page_id, platform in zip(ids[:3], ["direct", "direct", "generic"], strict=True):
        file = setup.prop_text(page_id, "File")
        assert file.startswith(f"links/{platform}/")
        on_disk = setup.data_dir / file
        assert on_disk.is_file() and on_disk.stat().st_size > 0
        page = sb.notion.page(page_id)["page"]["properties"]
        assert page["Size"]["number"] == on_disk.stat().st_size
        assert page["Platform"]["select"]["name"] == platform
    assert not list(setup.data_dir.glob("links/.partial/*")), "no partial files left behind"
    # untouched rows: the empty URL and the Done one were never written to
    assert setup.history(ids[8]) == [] and setup.history(ids[9]) == []


def test_permanent_errors_are_not_retried_transient_ones_are(links, sb):
    setup = links([{"url": media(sb, "gone/a.mp4")}, {"url": media(sb, "files/flaky.mp4")}])
    sb.add_fault(r"^/media/files/flaky\.mp4$", method="GET", status=503, times=2)
    counts = saved_links(**setup.params())

    assert counts["done"] == 1 and counts["failed"] == 1
    assert len(sb.requests(r"^/media/gone/a\.mp4$")) == 1, "a 404 is tried once"
    statuses = [r["status"] for r in sb.requests(r"^/media/files/flaky\.mp4$")]
    assert statuses.count(503) == 2 and statuses[-1] in (200, 206)


def test_a_truncated_download_is_retried_then_failed_with_its_class(links, sb):
    setup = links([{"url": media(sb, "truncated/cut.mp4")}, {"url": media(sb, "files/b.mp4")}])
    counts = saved_links(**setup.params())

    assert counts["failed"] == 1 and counts["done"] == 1, "one bad file does not sink the batch"
    assert setup.prop_text(setup.page_ids[0], "Error").startswith("IncompleteDownload:")
    assert len(sb.requests(r"^/media/truncated/cut\.mp4$")) >= 4, "3 retries after the first try"
    assert not list((setup.data_dir / "links").rglob("cut*")), "no short file kept"


def test_the_same_media_is_downloaded_once_for_two_rows_and_two_runs(links, sb):
    url = media(sb, "files/twice.mp4")
    setup = links([{"url": url}, {"url": url}])
    saved_links(**setup.params())
    files = {setup.prop_text(p, "File") for p in setup.page_ids}
    assert len(files) == 1 and all(setup.status(p) == "Done" for p in setup.page_ids)
    first_run = [r["seq"] for r in sb.requests(MEDIA_GETS)]
    assert len(first_run) <= 2, "one probe and one download, for the first row only"

    # put both rows back to New: the re-run finds the media in the archive
    sb.clear_requests()
    notion = Client(auth=setup.token, base_url=sb.notion.base_url)
    for page_id in setup.page_ids:
        notion.pages.update(page_id=page_id, properties={"Status": {"status": {"name": "New"}}})
    counts = saved_links(**setup.params())
    assert counts["done"] == 2 and counts["downloaded"] == 0
    assert sb.requests(MEDIA_GETS) == []


def test_a_wrong_token_fails_the_first_step_and_claims_nothing(links, sb):
    setup = links([{"url": media(sb, "files/a.mp4")}])
    block = NotionLinksSource.load(setup.source_block)
    block.token = SecretStr("wrong-token")
    block.save(setup.source_block, overwrite=True)

    state = saved_links(**setup.params(), return_state=True)
    assert state.is_failed()
    message = str(state.result(raise_on_failure=False))
    assert setup.source_block in message and "'token'" in message
    assert "wrong-token" not in message
    assert setup.history(setup.page_ids[0]) == []


def test_a_wrong_database_id_names_the_field(links, sb):
    setup = links([{"url": media(sb, "files/a.mp4")}])
    block = NotionLinksSource.load(setup.source_block)
    block.database_id = "00000000-0000-4000-8000-00000000dead"
    block.save(setup.source_block, overwrite=True)

    state = saved_links(**setup.params(), return_state=True)
    assert state.is_failed()
    assert "'database_id'" in str(state.result(raise_on_failure=False))
    assert setup.history(setup.page_ids[0]) == []


def test_a_misnamed_property_names_the_field_before_anything_is_claimed(links, sb):
    setup = links([{"url": media(sb, "files/a.mp4")}], status_property="State")
    state = saved_links(**setup.params(), return_state=True)
    message = str(state.result(raise_on_failure=False))
    assert state.is_failed() and "'status_property'" in message and "'State'" in message
    assert setup.history(setup.page_ids[0]) == []


def test_notion_rate_limits_are_waited_out_and_250_rows_are_paged(links, sb):
    setup = links([{"url": media(sb, f"files/n{i}.mp4")} for i in range(250)])
    sb.add_fault(r"/data_sources/.*/query$", status=429, retry_after=1, times=1)
    counts = saved_links(**setup.params(limit=2))

    assert counts["found"] == 250 and counts["done"] == 2
    queries = sb.requests(r"/data_sources/.*/query$")
    assert [q["status"] for q in queries] == [429, 200, 200, 200]
    waited = _ts(queries[1]) - _ts(queries[0])
    assert waited >= 0.9, f"Retry-After: 1 was not honoured (retried after {waited:.2f}s)"


def test_the_run_reports_progress_and_a_table_of_its_links(links, sb, run_artifacts):
    setup = links([{"url": media(sb, "files/a.mp4")}, {"url": media(sb, "gone/b.mp4")}])
    state = saved_links(**setup.params(), return_state=True)

    found = {a.type: a for a in run_artifacts(state)}
    assert found["progress"].data == 100.0
    table = found["table"].data
    assert "gone/b.mp4" in str(table) and "Removed" in str(table)


def test_the_pause_separates_items(links, sb):
    pause = 0.6
    setup = links([{"url": media(sb, "files/p1.mp4")}, {"url": media(sb, "files/p2.mp4")}])
    saved_links(**setup.params(pause_seconds=pause))
    last_of_first = _ts(sb.requests(r"^/media/files/p1\.mp4$")[-1])
    first_of_second = _ts(sb.requests(r"^/media/files/p2\.mp4$")[0])
    assert first_of_second - last_of_first >= pause


def _ts(entry: dict) -> float:
    return datetime.fromisoformat(entry["at"].replace("Z", "+00:00")).timestamp()


def test_a_negative_limit_is_refused_by_name_before_anything_is_read(links, sb):
    setup = links([{"url": media(sb, "files/a.mp4")}])
    state = saved_links(**setup.params(limit=-1), return_state=True)
    assert state.is_failed() and "limit" in str(state.result(raise_on_failure=False))
    assert sb.requests(r"^/notion/") == []
