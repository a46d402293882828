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
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from blocks.notion import NotionLinksSource
from flows.common.db import APP_DB_BLOCK, app_engine, migrate
from flows.common.paths import data_dir
from flows.saved_links.flow import SOURCE_BLOCK

WORK_POOL = "automations"
# The sandbox's demo database (infra/sandbox/seeds.py): fixed ids, fake token.
DEMO_NOTION_TOKEN = "sandbox-notion-token"
DEMO_DATABASE_ID = "5a1e0000-0000-4000-8000-000000000001"


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


def save_blocks(notion: NotionLinksSource, app_db: SqlAlchemyConnector) -> None:
    notion.save(SOURCE_BLOCK, overwrite=True)
    app_db.save(APP_DB_BLOCK, overwrite=True)
    print(f"blocks saved: notion-links-source/{SOURCE_BLOCK}, sqlalchemy-connector/{APP_DB_BLOCK}")


def from_sandbox(sandbox_url: str) -> tuple[NotionLinksSource, SqlAlchemyConnector]:
    notion = NotionLinksSource(
        token=SecretStr(DEMO_NOTION_TOKEN),
        database_id=DEMO_DATABASE_ID,
        base_url=sandbox_url.rstrip("/") + "/notion",
    )
    return notion, app_db_connector(os.environ.get("APP_DB_URL"))


def from_env() -> tuple[NotionLinksSource, SqlAlchemyConnector]:
    read_dotenv()
    missing = [k for k in ("NOTION_TOKEN", "NOTION_DATABASE_ID") if not os.environ.get(k)]
    if missing:
        sys.exit(f"bootstrap: set {' and '.join(missing)} (environment or .env); see README.")
    optional = {
        field: os.environ[env]
        for field, env in {
            "base_url": "NOTION_BASE_URL",
            "url_property": "NOTION_URL_PROPERTY",
            "status_property": "NOTION_STATUS_PROPERTY",
            "file_property": "NOTION_FILE_PROPERTY",
            "error_property": "NOTION_ERROR_PROPERTY",
        }.items()
        if os.environ.get(env)
    }
    notion = NotionLinksSource(
        token=SecretStr(os.environ["NOTION_TOKEN"]),
        database_id=os.environ["NOTION_DATABASE_ID"],
        **optional,
    )
    return notion, app_db_connector(os.environ.get("APP_DB_URL"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments.bootstrap")
    sub = parser.add_subparsers(dest="source", required=True)
    sandbox = sub.add_parser("sandbox", help="blocks that point at the local sandbox")
    sandbox.add_argument("--sandbox-url", required=True)
    sub.add_parser("env", help="blocks from NOTION_TOKEN, NOTION_DATABASE_ID, APP_DB_URL")
    args = parser.parse_args(argv)

    notion, app_db = from_sandbox(args.sandbox_url) if args.source == "sandbox" else from_env()
    ensure_work_pool()
    save_blocks(notion, app_db)
    migrate(app_engine(APP_DB_BLOCK))
    print("app database migrated to head")


if __name__ == "__main__":
    main()
