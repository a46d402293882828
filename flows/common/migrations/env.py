"""Alembic environment: runs on a connection handed over by `flows.common.db.migrate`,
or on `-x url=...` / `APP_DB_URL` when invoked through the `alembic` command."""

from __future__ import annotations

import os

from alembic import context

from flows.common.db import engine_from_url, metadata
from flows.common.workflows import workflows

workflows()  # each workflow's declaration imports its records module: its tables

config = context.config
target_metadata = metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ["APP_DB_URL"]
    with engine_from_url(url).begin() as conn:
        _run(conn)
