"""Job 5 on SQLite and PostgreSQL: series gaps become wanted (a novella never is one),
and their catalogue links reach the download client once, across re-runs and crashes."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from blocks.audiobooks import DownloadClient
from flows.audiobooks import handoffs
from flows.audiobooks.download_client import QBittorrent
from flows.audiobooks.library import add_book, field_sources
from flows.audiobooks.series import complete_series, gaps
from flows.audiobooks.source_sync import sync_listings
from flows.audiobooks.taskrecords import JobRun
from flows.audiobooks.top10 import sync_top10
from flows.common.errors import ConfigError, TransientError
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.feeds_helpers import (
    SANDERSON,
    books,
    catalogue_block,
    client_block,
    demo_library,
    item,
    magnet,
    own,
)
from tests.audiobooks.feeds_helpers import (
    handoffs as handoff_rows,
)

HERO = item(
    "The Hero of Ages", authors=SANDERSON, series="Mistborn", position=3, link=magnet("hero")
)
SECRET = item(
    "Secret History", authors=SANDERSON, series="Mistborn", position=3.5, link=magnet("sh")
)


@pytest.mark.parametrize(
    ("positions", "known", "expected"),
    [
        ([1, 2, 4], None, [3]),
        ([1, 2.5, 4], None, [2, 3]),  # a novella neither is a gap nor fills one
        ([1, 3.5], None, [2, 3]),
        ([2.5], None, [1, 2]),
        ([1, 2], 5, [3, 4, 5]),  # the catalogue lists a later position
        ([1, 2, 3], None, []),
        ([], None, []),
    ],
)
def test_gaps(positions: list[float], known: float | None, expected: list[int]) -> None:
    assert gaps(positions, known) == expected


def _run(engine: Engine) -> JobRun:
    return JobRun(engine, "series-completion")


def _listings(sb: Sandbox, engine: Engine, items: list[dict]) -> None:
    sb.catalogue.items(items)
    sync_listings(engine, catalogue_block(sb), JobRun(engine, "source-sync"))


def _wanted(engine: Engine) -> list[tuple]:
    return [(b["series"], b["series_position"], b["title"]) for b in books(engine, "wanted")]


def test_a_series_with_gaps_and_a_novella(sb: Sandbox, app_db: Engine) -> None:
    own(app_db, "The Final Empire", SANDERSON, "Mistborn", 1)
    own(app_db, "Mistborn: The Eleventh Metal", SANDERSON, "Mistborn", 0.5)
    own(app_db, "The Alloy of Law", SANDERSON, "Mistborn", 5)
    own(app_db, "Elantris", SANDERSON)  # in no series
    _listings(sb, app_db, [HERO, SECRET])
    with app_db.begin() as conn:  # a series only wanted, none owned: not completed
        add_book(
            conn,
            {"title": "Red Rising", "series": "Red Rising Saga", "series_position": 2},
            status="wanted",
            origin="top10",
            origin_key="top10:red rising|",
            source="feed",
        )
    run = _run(app_db)
    outcome = complete_series(app_db, None, run)
    assert _wanted(app_db)[1:] == [
        ("Mistborn", 2.0, "Mistborn #2"),
        ("Mistborn", 3.0, "The Hero of Ages"),
        ("Mistborn", 4.0, "Mistborn #4"),
    ]
    assert outcome.data["wanted"] == [
        "Mistborn #2: Mistborn #2",
        "Mistborn #3: The Hero of Ages",
        "Mistborn #4: Mistborn #4",
    ]
    assert run.succeeded == 3 and "hand-off off" in outcome.summary
    hero = books(app_db, "wanted")[2]
    assert hero["authors"] == SANDERSON and hero["origin"] == "series"
    with app_db.connect() as conn:
        assert field_sources(conn, hero["id"])["title"].source == "feed"
        placeholder = books(app_db, "wanted")[1]["id"]
        assert field_sources(conn, placeholder)["title"].source == "folder"
    # a re-run finds nothing new to want
    assert complete_series(app_db, None, _run(app_db)).data["wanted"] == []
    assert len(books(app_db, "wanted")) == 4


def test_a_placeholder_takes_the_title_of_a_later_listing(sb: Sandbox, app_db: Engine) -> None:
    own(app_db, "The Final Empire", SANDERSON, "Mistborn", 1)
    own(app_db, "The Alloy of Law", SANDERSON, "Mistborn", 3)
    complete_series(app_db, None, _run(app_db))
    assert _wanted(app_db) == [("Mistborn", 2.0, "Mistborn #2")]
    well = item("The Well of Ascension", authors=SANDERSON, series="Mistborn", position=2)
    _listings(sb, app_db, [well])
    outcome = complete_series(app_db, None, _run(app_db))
    assert outcome.data["retitled"] == ["Mistborn #2: The Well of Ascension"]
    assert _wanted(app_db) == [("Mistborn", 2.0, "The Well of Ascension")]


def test_a_book_wanted_from_a_top10_list_takes_its_place_in_the_series(
    sb: Sandbox, app_db: Engine
) -> None:
    demo_library(app_db)
    with app_db.begin() as conn:
        add_book(
            conn,
            {"title": "The Hero of Ages", "authors": SANDERSON},
            status="wanted",
            origin="top10",
            origin_key="top10:hero of ages|brandon sanderson",
            source="feed",
        )
    _listings(sb, app_db, [HERO])
    outcome = complete_series(app_db, None, _run(app_db))
    assert outcome.data["placed"] == ["Mistborn #3: The Hero of Ages"]
    assert _wanted(app_db) == [("Mistborn", 3.0, "The Hero of Ages")]


def test_hand_off_happens_once_across_re_runs(sb: Sandbox, app_db: Engine) -> None:
    demo_library(app_db)
    _listings(sb, app_db, [HERO, SECRET])
    block = client_block(sb, save_path="/media/audiobooks")
    first = complete_series(app_db, block, _run(app_db), hand_off=True)
    assert first.data["handed_off"] == ["Mistborn: The Hero of Ages"]
    [torrent] = sb.qbittorrent.torrents()
    assert torrent["url"] == magnet("hero") and torrent["category"] == "audiobooks"
    assert torrent["save_path"] == "/media/audiobooks"
    assert torrent["tags"] == handoffs.link_tag(magnet("hero"))
    second = complete_series(app_db, block, _run(app_db), hand_off=True)
    assert second.data["handed_off"] == [] and second.data["handed_before"] == [
        "Mistborn: The Hero of Ages"
    ]
    assert sb.qbittorrent.stats()["add_calls"] == 1
    [row] = handoff_rows(app_db)
    assert (row["status"], row["link"], row["client"]) == (
        "added",
        magnet("hero"),
        "download-client",
    )


def test_hand_off_is_off_unless_asked(sb: Sandbox, app_db: Engine) -> None:
    demo_library(app_db)
    _listings(sb, app_db, [HERO])
    complete_series(app_db, client_block(sb), _run(app_db))
    assert sb.qbittorrent.torrents() == [] and handoff_rows(app_db) == []
    with pytest.raises(ConfigError, match="no download-client block"):
        complete_series(app_db, None, _run(app_db), hand_off=True)


def test_a_crash_before_the_add_adds_on_the_next_run(sb: Sandbox, app_db: Engine) -> None:
    demo_library(app_db)
    _listings(sb, app_db, [HERO])
    sb.add_fault(r"/api/v2/torrents/add", status=500, times=1)
    with pytest.raises(TransientError):
        complete_series(app_db, client_block(sb), _run(app_db), hand_off=True)
    assert [r["status"] for r in handoff_rows(app_db)] == ["claimed"]
    assert sb.qbittorrent.torrents() == []
    again = complete_series(app_db, client_block(sb), _run(app_db), hand_off=True)
    assert again.data["handed_off"] == ["Mistborn: The Hero of Ages"]
    assert len(sb.qbittorrent.torrents()) == 1
    assert [r["status"] for r in handoff_rows(app_db)] == ["added"]


def test_a_crash_after_the_add_never_adds_twice(sb: Sandbox, app_db: Engine) -> None:
    demo_library(app_db)
    _listings(sb, app_db, [HERO])
    complete_series(app_db, None, _run(app_db))  # the gap is wanted and tied to the listing
    [hero] = books(app_db, "wanted")
    # the first two steps of a hand-off, then the run dies before marking it added
    assert handoffs.claim(app_db, hero["id"], magnet("hero"), "download-client") is None
    with QBittorrent(client_block(sb)) as client:
        client.add([magnet("hero")], tags=[handoffs.link_tag(magnet("hero"))])
    adds = sb.qbittorrent.stats()["add_calls"]
    outcome = complete_series(app_db, client_block(sb), _run(app_db), hand_off=True)
    assert outcome.data["found_in_client"] == ["Mistborn: The Hero of Ages"]
    assert sb.qbittorrent.stats()["add_calls"] == adds
    assert [r["status"] for r in handoff_rows(app_db)] == ["added"]


def test_a_refused_login_stops_hand_off_but_keeps_the_wanted_books(
    sb: Sandbox, app_db: Engine
) -> None:
    demo_library(app_db)
    _listings(sb, app_db, [HERO])
    with pytest.raises(ConfigError, match="login refused") as caught:
        complete_series(app_db, client_block(sb, password="bad-pw"), _run(app_db), hand_off=True)
    assert "bad-pw" not in str(caught.value)
    assert _wanted(app_db) == [("Mistborn", 3.0, "The Hero of Ages")]
    assert sb.qbittorrent.torrents() == [] and handoff_rows(app_db) == []


def test_the_demo_catalogue_completes_the_demo_library(sb: Sandbox, app_db: Engine) -> None:
    env = sb.seed("demo")["env"]
    demo_library(app_db)
    block = catalogue_block(sb, url=env["CATALOGUE_URL"], top10_url=env["CATALOGUE_TOP10_URL"])
    sync_listings(app_db, block, JobRun(app_db, "source-sync"))
    sync_top10(app_db, block, JobRun(app_db, "top10"), genres=env["CATALOGUE_GENRES"].split(","))
    client = DownloadClient(
        url=env["DOWNLOAD_CLIENT_URL"],
        username=env["DOWNLOAD_CLIENT_USERNAME"],
        password=SecretStr(env["DOWNLOAD_CLIENT_PASSWORD"]),
    )
    outcome = complete_series(app_db, client, _run(app_db), hand_off=True)
    assert sorted(outcome.data["handed_off"]) == [
        "Mistborn: The Hero of Ages",
        "The Stormlight Archive: Words of Radiance",
    ]
    assert sorted(t["name"] for t in sb.qbittorrent.torrents()) == [
        "The Hero of Ages",
        "Words of Radiance",
    ]
    titles = [b["title"] for b in books(app_db, "wanted")]
    assert "Mistborn: Secret History" not in titles  # the #3.5 novella is no gap
    assert len(titles) == len(set(titles))  # the top-10's Hero of Ages is not wanted twice
