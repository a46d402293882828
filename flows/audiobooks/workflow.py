"""Audiobooks as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from flows.audiobooks.tables import TABLES
from flows.common.workflows import Workflow

WORKFLOW = Workflow(
    name="audiobooks",
    title="Audiobook library",
    tables=TABLES,
)
