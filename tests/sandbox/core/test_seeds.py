"""Named seeds: ``POST /_sandbox/seed/{name}`` and ``--seed`` at start-up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from notion_client import Client

from infra.sandbox.core.client import Sandbox, SandboxError
from infra.sandbox.services.camera.seeds import DEMO_PASSWORD, DEMO_USERNAME
from infra.sandbox.services.consent.sites import SITES, secure_origins
from infra.sandbox.services.notion.seeds import DEMO_DATA_SOURCE_ID, DEMO_DATABASE_ID, DEMO_TOKEN
from infra.sandbox.services.youtube.seeds import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
)


def test_demo_seed_through_the_control_api(sb: Sandbox) -> None:
    first = sb.seed("demo")["notion"]
    assert first["database_id"] == DEMO_DATABASE_ID
    assert first["data_source_id"] == DEMO_DATA_SOURCE_ID
    again = sb.seed("demo")["notion"]
    assert len(sb.notion.pages(DEMO_DATABASE_ID)) == len(again["page_ids"]), "re-seeding replaces"
    with pytest.raises(SandboxError, match="404"):
        sb.seed("nope")


def test_demo_seed_on_start_points_at_its_own_process() -> None:
    with Sandbox.start(seed="demo") as demo:
        notion = Client(auth=DEMO_TOKEN, base_url=demo.notion.base_url)
        db = notion.databases.retrieve(database_id=DEMO_DATABASE_ID)
        assert db["data_sources"][0]["id"] == DEMO_DATA_SOURCE_ID
        pages = notion.data_sources.query(data_source_id=DEMO_DATA_SOURCE_ID)["results"]
        urls = [p["properties"]["URL"]["url"] for p in pages]
        statuses = [p["properties"]["Status"]["status"]["name"] for p in pages]
        assert 9 <= len(pages) <= 12
        assert None in urls and "Done" in statuses and "New" in statuses
        inside = "http://169.254.169.254/latest/meta-data/"
        assert inside in urls, "one link points inside the network, for the guard to refuse"
        linked = [u for u in urls if u and u != inside]
        assert all(u.startswith(demo.base_url + "/media/") for u in linked)
        kinds = {u.split("/media/")[1].split("/")[0] for u in linked}
        assert kinds == {"files", "pages", "gone", "forbidden", "login", "fake", "truncated"}
        assert any(u.endswith(".jpg") for u in linked) and any(u.endswith(".mp4") for u in linked)
        process = demo.process
    assert process.poll() is not None, "stopped on leaving the with block"


def test_the_demo_env_points_the_product_at_this_sandbox(sb: Sandbox) -> None:
    seeded = sb.seed("demo")
    assert set(seeded) == {
        "env",
        "notion",
        "camera",
        "webhooks",
        "media",
        "catalogue",
        "qbittorrent",
        "googlebooks",
        "library",
        "consent",
        "cookieapi",
        "llm",
        "youtube",
    }
    env = seeded["env"]
    library = Path(env.pop("AUDIOBOOK_LIBRARY"))
    assert (library / "Brandon Sanderson" / "Mistborn").is_dir()
    assert env == {
        "NOTION_TOKEN": DEMO_TOKEN,
        "NOTION_DATABASE_ID": DEMO_DATABASE_ID,
        "NOTION_BASE_URL": f"{sb.base_url}/notion",
        "CAMERA_URL": f"{sb.base_url}/camera",
        "CAMERA_USERNAME": DEMO_USERNAME,
        "CAMERA_PASSWORD": DEMO_PASSWORD,
        "CAMERA_STREAMS": "in_gate,out_gate",
        "ALERTS_WEBHOOK_URL": f"{sb.base_url}/webhooks/alerts",
        "CATALOGUE_URL": f"{sb.base_url}/catalogue/listings.rss",
        "CATALOGUE_TOP10_URL": f"{sb.base_url}/catalogue/top10/{{genre}}.json",
        "CATALOGUE_GENRES": "fantasy,science-fiction",
        "DOWNLOAD_CLIENT_URL": f"{sb.base_url}/qbittorrent",
        "DOWNLOAD_CLIENT_USERNAME": "admin",
        "DOWNLOAD_CLIENT_PASSWORD": "adminadmin",
        "OUTBOUND_ALLOW": sb.base_url.removeprefix("http://"),  # this port only
        "GOOGLE_BOOKS_API_KEY": "sandbox-google-books-key",
        "GOOGLE_BOOKS_URL": f"{sb.base_url}/googlebooks",
        "GOOGLE_BOOKS_BATCH_URI": f"{sb.base_url}/googlebooks/batch/books/v1",
        "COOKIE_SCAN_URL_TEMPLATE": f"http://{{domain}}:{sb.port}/",
        "COOKIE_SCAN_HOST_MAP": "*.test=127.0.0.1",
        "COOKIE_SCAN_SECURE_ORIGINS": ",".join(secure_origins(sb.port)),
        "COOKIE_SCHEDULE_API_URL": f"{sb.base_url}/cookieapi/schedules",
        "COOKIE_SCHEDULE_API_TOKEN": "sandbox-cookie-api-token",
        "LLM_URL": f"{sb.base_url}/llm/v1",
        "LLM_MODEL": "sandbox-writer",
        "LLM_API_KEY": "sandbox-llm-key",
        "YOUTUBE_CLIENT_ID": DEMO_CLIENT_ID,
        "YOUTUBE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "YOUTUBE_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
        "YOUTUBE_API_ENDPOINT": f"{sb.secure_url}/youtube",
        "YOUTUBE_TOKEN_URI": f"{sb.secure_url}/youtube/token",
        "YOUTUBE_CA_BUNDLE": sb.ca_bundle,
    }
    assert [s["domain"] for s in seeded["consent"]["sites"]] == [s.domain for s in SITES]

    notion = Client(auth=env["NOTION_TOKEN"], base_url=env["NOTION_BASE_URL"])
    database = notion.databases.retrieve(database_id=env["NOTION_DATABASE_ID"])
    rows = notion.data_sources.query(data_source_id=database["data_sources"][0]["id"])
    assert {page["id"] for page in rows["results"]} == set(seeded["notion"]["page_ids"])

    with httpx.Client(base_url=env["CAMERA_URL"]) as camera:
        form = {"username": env["CAMERA_USERNAME"], "password": env["CAMERA_PASSWORD"]}
        assert camera.post("/login", data={**form, "next": ""}).status_code == 303
        for stream in env["CAMERA_STREAMS"].split(","):
            assert camera.get(f"/streams/{stream}").status_code == 200

    assert httpx.post(env["ALERTS_WEBHOOK_URL"], json={"text": "hi"}).status_code == 200
    assert [d["body"] for d in sb.webhooks.deliveries("alerts")] == [{"text": "hi"}]
