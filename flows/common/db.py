"""The app database: one SQLAlchemy metadata, an engine from the `app-db` block,
and Alembic migrations to shape it.

Domain records (saved-link results, the media archive, later camera images and
task records) live here because they must outlive Prefect's run retention.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, create_engine, event

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


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; everything the app writes is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


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


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
