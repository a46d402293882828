"""What a run shows on its page in the UI: markdown tables and a progress bar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact


def _cell(value: object) -> str:
    """One table cell: a `|` or a line break in a value must not break the table."""
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table, the form Prefect renders in artifacts."""
    lines = ["| " + " | ".join(map(_cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
    return "\n".join(lines)


class Progress:
    """A progress artifact that moves as the items of a run finish."""

    def __init__(self, total: int, description: str):
        self.total = total
        self.done = 0
        self.id: UUID = create_progress_artifact(0.0 if total else 100.0, description=description)

    def advance(self, count: int = 1) -> None:
        self.done += count
        update_progress_artifact(self.id, 100.0 * min(self.done, self.total) / self.total)
