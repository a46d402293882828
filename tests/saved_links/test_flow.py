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
        "deferred": 0,
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


def test_a_truncated_download_is_retried_then_left_for_later_runs_then_failed(links, sb):
    setup = links([{"url": media(sb, "truncated/cut.mp4")}, {"url": media(sb, "files/b.mp4")}])
    cut = setup.page_ids[0]
    counts = saved_links(**setup.params(max_transient_runs=2))

    assert counts["deferred"] == 1 and counts["done"] == 1, "one bad file does not sink the batch"
    assert len(sb.requests(r"^/media/truncated/cut\.mp4$")) >= 4, "3 retries after the first try"
    assert setup.status(cut) == "New", "left for the next run, not failed for good"
    assert setup.prop_text(cut, "Error").startswith("IncompleteDownload:")
    assert setup.prop_text(cut, "Error").endswith("(run 1 of 2)")

    counts = saved_links(**setup.params(max_transient_runs=2))
    assert counts == {**counts, "processed": 1, "failed": 1, "deferred": 0}
    assert setup.status(cut) == "Failed"
    assert setup.prop_text(cut, "Error").endswith("(failed in 2 runs)")
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


def test_a_platform_the_integration_may_not_add_never_blocks_the_write_back(links, sb):
    """The Platform select meets an option it has never seen, and this integration may
    not add options: Done and Failed still land, the optional column is left out."""
    setup = links(
        [{"url": media(sb, "files/new-platform.mp4")}, {"url": media(sb, "gone/x.mp4")}],
        database={"allow_new_options": False},
    )
    counts = saved_links(**setup.params())

    assert counts["done"] == 1 and counts["failed"] == 1
    done, failed = setup.page_ids
    assert setup.status(done) == "Done" and setup.prop_text(done, "File")
    assert setup.status(failed) == "Failed"
    assert setup.prop_text(failed, "Error").startswith("Removed:")
    platform = sb.notion.page(done)["page"]["properties"]["Platform"]["select"]
    assert platform is None, "the refused option was left out, not forced"


def test_a_wiki_query_that_lists_data_sources_among_the_pages_is_read_as_pages(links, sb):
    setup = links(
        [{"url": media(sb, f"files/w{i}.mp4")} for i in range(3)],
        database={"child_data_sources": 2},
    )
    counts = saved_links(**setup.params())
    assert counts["found"] == 3 and counts["done"] == 3


def test_a_database_with_several_data_sources_needs_the_block_to_name_one(links, sb):
    other = {"name": "Archive", "rows": [{"url": media(sb, "files/archived.mp4")}]}
    setup = links(
        [{"url": media(sb, "files/current.mp4")}], database={"extra_data_sources": [other]}
    )

    state = saved_links(**setup.params(), return_state=True)
    message = str(state.result(raise_on_failure=False))
    assert state.is_failed() and "'data_source'" in message and "2 data sources" in message
    assert "Archive (" in message, "the message lists them by name and id"

    block = NotionLinksSource.load(setup.source_block)
    block.data_source = "Archive"
    block.save(setup.source_block, overwrite=True)
    counts = saved_links(**setup.params())
    assert counts["found"] == 1 and counts["done"] == 1
    assert setup.status(setup.page_ids[0]) is None, "the other data source was not touched"


def test_every_text_written_is_cut_to_notions_limit_in_utf16_units(links, sb):
    title = "😀" * 1500  # 3,000 UTF-16 units
    setup = links([{"url": media(sb, f"pages/emoji.html?title={title}")}])
    counts = saved_links(**setup.params())

    assert counts["done"] == 1, "Notion refuses a text over its limit; the flow cut it"
    written = setup.prop_text(setup.page_ids[0], "Media title")
    assert written == "😀" * 1000


def test_a_run_past_max_run_minutes_starts_no_new_row_and_leaves_the_rest(links, sb):
    setup = links([{"url": media(sb, "files/late1.mp4")}, {"url": media(sb, "files/late2.mp4")}])
    state = saved_links(**setup.params(max_run_minutes=0.001), return_state=True)
    assert state.is_completed()
    assert state.message == "0 links: 0 done, 0 failed; 2 left for the next run"
    assert [setup.history(p) for p in setup.page_ids] == [[], []], "nothing claimed or written"


def test_a_soft_deadline_that_the_runs_timeout_would_cut_short_is_refused(links, sb):
    setup = links([{"url": media(sb, "files/a.mp4")}])
    state = saved_links(
        **setup.params(max_run_minutes=239, item_timeout_seconds=120), return_state=True
    )
    message = str(state.result(raise_on_failure=False))
    assert state.is_failed() and "max_run_minutes and item_timeout_seconds" in message
    assert sb.requests(r"^/notion/") == []
