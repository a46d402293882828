"""What every workflow's command shares: the app database it works on, how its
failures read, and its tables.

A command is `work(engine) -> exit code`; `on_app_db` finds the database (`--db-url`,
`$APP_DB_URL`, else the `app-db` block), runs it, and turns the failures a user can
mend into one line on stderr and an exit code: 1 for the database (unreachable, not
migrated), 2 for the command's own input errors. The engine is disposed either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from flows.common.db import cli_engine, db_error_line

CELL_WIDTH = 40  # characters of a value in a table cell


def on_app_db(
    db_url: str | None,
    work: Callable[[Engine], int | None],
    user_errors: tuple[type[Exception], ...],
    err: TextIO | None = None,
) -> int:
    err = err or sys.stderr
    try:
        engine = cli_engine(db_url)
    except Exception as exc:  # a bad URL, no app-db block, no Prefect server to load it from
        print(f"error: app database: {type(exc).__name__}: {exc}", file=err)
        return 1
    try:
        return work(engine) or 0
    except user_errors as exc:
        print(f"error: {exc}", file=err)
        return 2
    except SQLAlchemyError as exc:
        print(db_error_line(engine, exc), file=err)
        return 1
    finally:
        engine.dispose()


def table(
    out: TextIO,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    width: int | None = CELL_WIDTH,
) -> None:
    """Columns padded to their widest cell; a cell longer than `width` is cut (and its
    whitespace folded, so one value is one line)."""
    cells = [[_cell(v, width) for v in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)


def _cell(value: object, width: int | None) -> str:
    text = "" if value is None else str(value)
    if width is not None:
        text = " ".join(text.split())
        if len(text) > width:
            text = text[: width - 3] + "..."
    return text
