"""The app database: one SQLAlchemy metadata, the `app-db` connector block and
engines from it, and Alembic migrations to shape it.

Domain records (saved-link results, the media archive, camera images, task
records) live here because they must outlive Prefect's run retention. Each
workflow declares its tables on `metadata` in its own records module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from pydantic import SecretStr
from sqlalchemy import Column, Connection, Engine, MetaData, create_engine, delete, event, select
from sqlalchemy.engine import make_url

from flows.common.paths import data_dir

if TYPE_CHECKING:
    from prefect_sqlalchemy import SqlAlchemyConnector

APP_DB_BLOCK = "app-db"
MIGRATIONS = Path(__file__).with_name("migrations")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the worker's flow runs read while another run writes; the busy
    # timeout turns a momentary lock into a short wait instead of an error.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def engine_from_url(url: str) -> Engine:
    """An engine for a plain URL (the `alembic` command, tests)."""
    return _prepared(create_engine(url, pool_pre_ping=True))


def _prepared(engine: Engine) -> Engine:
    """Give SQLite what it needs for several processes at once, before first connect."""
    if engine.dialect.name == "sqlite":
        if engine.url.database:
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def connector(url: str | None = None) -> SqlAlchemyConnector:
    """The `app-db` block for a SQLAlchemy URL; SQLite in the data directory by default.

    The URL is split into components so its password is stored as a SecretStr,
    never as part of a URL string in the block document.
    """
    from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver

    if not url:
        url = f"sqlite:///{data_dir() / 'app.db'}"
    parsed = make_url(url)
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername=SyncDriver.SQLITE_PYSQLITE.value)
    elif parsed.drivername == "postgresql":
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


def app_engine(block_name: str = APP_DB_BLOCK) -> Engine:
    """The engine of the `app-db` SqlAlchemyConnector block."""
    from prefect_sqlalchemy import SqlAlchemyConnector

    return _prepared(SqlAlchemyConnector.load(block_name).get_engine(pool_pre_ping=True))


def alembic_config(connection: Connection) -> Config:
    """Alembic configured to run on `connection` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` in one transaction.

    "heads", not "head": a new workflow's tables start a branch of their own
    (`alembic revision --head base --branch-label <workflow>`), so two workflows
    written side by side never fight over one chain.
    """
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


# --- the workflows' commands -------------------------------------------------------------

DB_URL_ENV = "APP_DB_URL"


def cli_engine(url: str | None) -> Engine:
    """The app database a command works on: `--db-url`, else `$APP_DB_URL`, else the
    `app-db` block (which needs the Prefect server)."""
    url = url or os.environ.get(DB_URL_ENV)
    return engine_from_url(url) if url else app_engine()


def db_error_line(engine: Engine, exc: Exception) -> str:
    """One line for a command's user: which database (password hidden) and the driver's
    first line, which is what names the missing table or the refused connection."""
    url = engine.url.render_as_string(hide_password=True)
    first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return f"error: app database {url} (migrated?): {first}"


# --- retention -----------------------------------------------------------------------------


def oldest_before(conn: Connection, key: Column, when: Column, cutoff: Any, limit: int) -> list:
    """The keys of at most `limit` rows whose `when` is before `cutoff`, oldest first:
    one batch of a retention cleanup."""
    query = select(key).where(when < cutoff).order_by(when, key).limit(limit)
    return list(conn.execute(query).scalars())


def delete_before(
    engine: Engine, key: Column, when: Column, cutoff: Any, batch_size: int
) -> Iterator[int]:
    """Delete the rows older than `cutoff`, one batch per transaction (a long delete
    must not hold the database, and a crash loses at most the batch in flight);
    yields each batch's count."""
    while True:
        with engine.begin() as conn:
            keys = oldest_before(conn, key, when, cutoff, batch_size)
            if not keys:
                return
            conn.execute(delete(key.table).where(key.in_(keys)))
        yield len(keys)
