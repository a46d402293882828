"""Save the block documents, create the work pool and migrate the app database.

    python -m deployments.bootstrap sandbox --sandbox-url http://127.0.0.1:4300
    python -m deployments.bootstrap env          # from environment variables / .env

Idempotent: every document is saved with overwrite, the pool is created only
when missing, migrations run to head.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from prefect import get_client
from prefect.blocks.core import Block
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from blocks.camera import CameraPortal
from blocks.notion import NotionLinksSource
from deployments import automations
from flows.camera.flow import PORTAL_BLOCK
from flows.common.db import APP_DB_BLOCK, app_engine, migrate
from flows.common.paths import data_dir
from flows.saved_links.flow import SOURCE_BLOCK

WORK_POOL = "automations"
# The sandbox's demo data (infra/sandbox/seeds.py): fixed ids, fake credentials.
DEMO_NOTION_TOKEN = "sandbox-notion-token"
DEMO_DATABASE_ID = "5a1e0000-0000-4000-8000-000000000001"
DEMO_CAMERA_USER = "camera-demo"
DEMO_CAMERA_PASSWORD = "camera-demo-password"


def read_dotenv(path: Path = Path(".env")) -> None:
    """Fill os.environ from KEY=VALUE lines; real environment variables win."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def app_db_connector(url: str | None) -> SqlAlchemyConnector:
    """SQLite in the data directory by default; any SQLAlchemy URL otherwise.

    A URL is split into components so its password is stored as a SecretStr.
    """
    if not url:
        return SqlAlchemyConnector(
            connection_info=ConnectionComponents(
                driver=SyncDriver.SQLITE_PYSQLITE, database=str(data_dir() / "app.db")
            )
        )
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return SqlAlchemyConnector(
        connection_info=ConnectionComponents(
            driver=parsed.drivername,
            username=parsed.username,
            password=SecretStr(parsed.password) if parsed.password else None,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database or "",
            query=dict(parsed.query) or None,
        )
    )


def ensure_work_pool(name: str = WORK_POOL) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            print(f"work pool {name!r} created")
        except ObjectAlreadyExists:
            print(f"work pool {name!r} exists")


def save_blocks(blocks: dict[str, Block]) -> None:
    for name, block in blocks.items():
        block.save(name, overwrite=True)
    print("blocks saved: " + ", ".join(f"{b.get_block_type_slug()}/{n}" for n, b in blocks.items()))


def from_sandbox(sandbox_url: str) -> dict[str, Block]:
    root = sandbox_url.rstrip("/")
    return {
        SOURCE_BLOCK: NotionLinksSource(
            token=SecretStr(DEMO_NOTION_TOKEN),
            database_id=DEMO_DATABASE_ID,
            base_url=root + "/notion",
        ),
        PORTAL_BLOCK: CameraPortal(
            base_url=root + "/camera",
            username=DEMO_CAMERA_USER,
            password=SecretStr(DEMO_CAMERA_PASSWORD),
            streams=["in_gate", "out_gate"],
        ),
        APP_DB_BLOCK: app_db_connector(os.environ.get("APP_DB_URL")),
    }


def _settings(prefix: str, required: tuple[str, ...], optional: dict[str, str]):
    """Fields from `<prefix>_*` variables; None when the workflow is not configured."""
    present = {name: os.environ.get(f"{prefix}_{name}") for name in required}
    if not any(present.values()):
        return None
    missing = [f"{prefix}_{name}" for name, value in present.items() if not value]
    if missing:
        sys.exit(f"bootstrap: set {' and '.join(missing)} (environment or .env); see README.")
    fields = {name.lower(): value for name, value in present.items()}
    fields.update(
        {field: os.environ[env] for field, env in optional.items() if os.environ.get(env)}
    )
    return fields


def from_env() -> dict[str, Block]:
    """Each workflow's block is saved when its variables are set; the others are listed."""
    read_dotenv()
    blocks: dict[str, Block] = {}
    notion = _settings(
        "NOTION",
        ("TOKEN", "DATABASE_ID"),
        {
            "base_url": "NOTION_BASE_URL",
            "url_property": "NOTION_URL_PROPERTY",
            "status_property": "NOTION_STATUS_PROPERTY",
            "file_property": "NOTION_FILE_PROPERTY",
            "error_property": "NOTION_ERROR_PROPERTY",
        },
    )
    if notion:
        notion["token"] = SecretStr(notion["token"])
        blocks[SOURCE_BLOCK] = NotionLinksSource(**notion)
    camera = _settings("CAMERA", ("URL", "USERNAME", "PASSWORD"), {"streams": "CAMERA_STREAMS"})
    if camera:
        camera["base_url"] = camera.pop("url")
        camera["password"] = SecretStr(camera["password"])
        if "streams" in camera:
            camera["streams"] = [s.strip() for s in camera["streams"].split(",") if s.strip()]
        blocks[PORTAL_BLOCK] = CameraPortal(**camera)
    if not blocks:
        sys.exit(
            "bootstrap: set NOTION_TOKEN and NOTION_DATABASE_ID, or CAMERA_URL, "
            "CAMERA_USERNAME and CAMERA_PASSWORD (environment or .env); see README."
        )
    skipped = {SOURCE_BLOCK: "NOTION_*", PORTAL_BLOCK: "CAMERA_*"}.items()
    for name, variables in skipped:
        if name not in blocks:
            print(f"block {name!r} not saved: no {variables} variables (its deployment will fail)")
    blocks[APP_DB_BLOCK] = app_db_connector(os.environ.get("APP_DB_URL"))
    return blocks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments.bootstrap")
    sub = parser.add_subparsers(dest="source", required=True)
    sandbox = sub.add_parser("sandbox", help="blocks that point at the local sandbox")
    sandbox.add_argument("--sandbox-url", required=True)
    sub.add_parser("env", help="blocks from NOTION_*, CAMERA_* and APP_DB_URL variables")
    args = parser.parse_args(argv)

    if args.source == "sandbox":
        blocks = from_sandbox(args.sandbox_url)
        alerts_url = args.sandbox_url.rstrip("/") + "/webhooks/alerts"
    else:
        blocks = from_env()
        alerts_url = os.environ.get("ALERTS_WEBHOOK_URL")
    ensure_work_pool()
    save_blocks(blocks)
    if alerts_url:
        names = automations.apply(alerts_url)
        print(f"automations applied ({', '.join(names)}), notifying through block 'alerts'")
    else:
        print("no ALERTS_WEBHOOK_URL: failure notifications are not set up (see README)")
    migrate(app_engine(APP_DB_BLOCK))
    print("app database migrated to head")


if __name__ == "__main__":
    main()
