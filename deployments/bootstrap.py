"""Register the block types, save the block documents, create the work pool, apply
the notifications and migrate the app database.

    python -m deployments.bootstrap env              # from the environment and .env
    python -m deployments.bootstrap env --no-dotenv  # from the environment only

Each workflow declares its block documents and the variables that fill them
(`flows/<workflow>/workflow.py`); a workflow whose variables are all unset is
skipped and named. `make demo` runs this with the variables its sandbox hands out,
and no `.env`, so a demo never touches your own accounts. Idempotent: documents
are saved with overwrite, the pool is created only when missing, automations are
created or updated by name, migrations run to the heads.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from prefect import get_client
from prefect.blocks.core import Block
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect_sqlalchemy import SqlAlchemyConnector

from deployments import automations
from flows.common import settings
from flows.common.db import APP_DB_BLOCK, app_engine, connector, migrate
from flows.common.errors import ConfigError
from flows.common.workflows import block_settings, workflows

WORK_POOL = "automations"


def read_dotenv(path: Path = Path(".env")) -> None:
    """Fill os.environ from KEY=VALUE lines; real environment variables win."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def blocks_from(environ: Mapping[str, str]) -> tuple[dict[str, Block], list[str]]:
    """Every declared block whose variables are set, and a line for each one skipped."""
    blocks: dict[str, Block] = {}
    skipped = []
    for setting in block_settings():
        block = setting.from_env(environ)
        if block is None:
            variables = ", ".join(setting.env.values())
            skipped.append(f"block {setting.document!r} not saved: none of {variables} is set")
        else:
            blocks[setting.document] = block
    if not blocks:
        raise ConfigError(
            "no workflow is configured; set the variables of at least one (environment or "
            ".env, see README):\n  " + "\n  ".join(skipped)
        )
    blocks[APP_DB_BLOCK] = connector(environ.get("APP_DB_URL"))
    return blocks, skipped


def register_block_types() -> None:
    """Every declared block type, so the UI's catalogue offers it before one is saved."""
    types = {setting.type for setting in block_settings()} | {SqlAlchemyConnector}
    for block_type in sorted(types, key=lambda t: t.get_block_type_slug()):
        block_type.register_type_and_schema()


def ensure_work_pool(name: str = WORK_POOL) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            print(f"work pool {name!r} created")
        except ObjectAlreadyExists:
            print(f"work pool {name!r} exists")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments.bootstrap")
    sub = parser.add_subparsers(dest="source", required=True)
    env = sub.add_parser("env", help="blocks from the variables each workflow declares")
    env.add_argument("--no-dotenv", action="store_true", help="ignore the .env file")
    args = parser.parse_args(argv)

    if not args.no_dotenv:
        read_dotenv()
    try:
        blocks, skipped = blocks_from(os.environ)
        variables = settings.from_env(os.environ)
    except ConfigError as exc:
        sys.exit(f"bootstrap: {exc}")
    print(f"workflows: {', '.join(w.name for w in workflows())}")
    for line in skipped:
        print(line + " (its deployments will fail until it is)")
    register_block_types()
    ensure_work_pool()
    for name, block in blocks.items():
        block.save(name, overwrite=True)
    print("blocks saved: " + ", ".join(f"{b.get_block_type_slug()}/{n}" for n, b in blocks.items()))
    settings.save(variables)
    if variables:
        print("settings saved (Prefect variables): " + ", ".join(sorted(variables)))
    alerts_url = os.environ.get("ALERTS_WEBHOOK_URL")
    if alerts_url:
        applied = automations.apply(alerts_url, settings.zombie_after())
        states = ", ".join(f"{name}: {what}" for name, what in applied.items())
        print(f"automations ({states}), notifying through block 'alerts'")
    else:
        print("no ALERTS_WEBHOOK_URL: failure notifications are not set up (see README)")
    migrate(app_engine(APP_DB_BLOCK))
    print("app database migrated to the heads")


if __name__ == "__main__":
    main()
