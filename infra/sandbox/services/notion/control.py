"""Control routes of the fake Notion, under ``/_sandbox/notion``.

POST /databases                 create/replace a database -> {database_id, data_source_id,
                                page_ids, child_data_source_ids, data_sources: [{id, name,
                                page_ids, child_data_source_ids}]}; a bad spec is 400
GET  /pages/{page_id}           {"page": <page object>, "history": [every PATCH]}
GET  /databases/{id}/pages      the same for every page of a database, in created order
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.services.notion.errors import NotionError
from infra.sandbox.services.notion.model import normalize_id
from infra.sandbox.services.notion.state import DataSourceSeed, NotionState


class DataSourceSpec(BaseModel):
    """A data source after the first one, in ``extra_data_sources``: its own name, schema
    (the saved-links one when left out) and rows."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    rows: list[dict[str, Any]] = Field(default_factory=list)
    schema_spec: dict[str, Any] | None = Field(default=None, alias="schema")
    data_source_id: str | None = None
    child_data_sources: int = Field(default=0, ge=0)

    def seed(self) -> DataSourceSeed:
        """What ``NotionState.seed_database`` takes."""
        return DataSourceSeed(
            self.name, self.rows, self.schema_spec, self.data_source_id, self.child_data_sources
        )


class DatabaseSpec(BaseModel):
    """Body of ``POST /_sandbox/notion/databases`` (see ``NotionState.seed_database``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    token: str
    title: str = "Saved links"
    rows: list[dict[str, Any]] = Field(default_factory=list)
    schema_spec: dict[str, Any] | None = Field(default=None, alias="schema")
    database_id: str | None = None
    data_source_id: str | None = None
    #: N > 0 makes the first data source a wiki's: its query lists N data sources (of
    #: databases inside the wiki) among the pages, unless ``result_type`` is "page".
    child_data_sources: int = Field(default=0, ge=0)
    extra_data_sources: list[DataSourceSpec] = Field(default_factory=list)
    #: False: the integration may not edit the schema, so a PATCH naming a select option
    #: that does not exist yet is refused, as Notion refuses it.
    allow_new_options: bool = True


def _object_id(raw: str) -> str:
    try:
        return normalize_id(raw, "id")
    except NotionError as exc:
        raise HTTPException(404, exc.message) from exc


def build_router(state: NotionState) -> APIRouter:
    """Database seeding and page inspection."""
    router = APIRouter()

    @router.post("/databases")
    async def create_database(spec: DatabaseSpec) -> dict[str, Any]:
        try:
            return state.seed_database(
                token=spec.token,
                title=spec.title,
                rows=spec.rows,
                schema=spec.schema_spec,
                database_id=spec.database_id,
                data_source_id=spec.data_source_id,
                child_data_sources=spec.child_data_sources,
                extra_data_sources=[extra.seed() for extra in spec.extra_data_sources],
                allow_new_options=spec.allow_new_options,
            )
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.get("/pages/{page_id}")
    async def notion_page(page_id: str) -> dict[str, Any]:
        record = state.page_record(_object_id(page_id))
        if record is None:
            raise HTTPException(404, f"no page {page_id}")
        return record

    @router.get("/databases/{database_id}/pages")
    async def notion_pages(database_id: str) -> list[dict[str, Any]]:
        records = state.database_page_records(_object_id(database_id))
        if records is None:
            raise HTTPException(404, f"no database {database_id}")
        return records

    return router
