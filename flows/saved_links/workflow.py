"""Saved links as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from blocks.notion import NotionLinksSource
from flows.common.workflows import BlockSetting, DemoRun, Workflow
from flows.saved_links import SOURCE_BLOCK
from flows.saved_links.records import saved_link_media, saved_links

WORKFLOW = Workflow(
    name="saved_links",
    title="Saved links",
    blocks=(
        BlockSetting(
            SOURCE_BLOCK,
            NotionLinksSource,
            {
                "token": "NOTION_TOKEN",
                "database_id": "NOTION_DATABASE_ID",
                "data_source": "NOTION_DATA_SOURCE",
                "base_url": "NOTION_BASE_URL",
                "url_property": "NOTION_URL_PROPERTY",
                "status_property": "NOTION_STATUS_PROPERTY",
                "file_property": "NOTION_FILE_PROPERTY",
                "error_property": "NOTION_ERROR_PROPERTY",
            },
        ),
    ),
    # No pause between items, and short retries, so the demo ends in a minute.
    demo=(
        DemoRun("saved-links/three-times-daily", {"pause_seconds": 0, "retry_backoff_seconds": 1}),
    ),
    tables=(saved_links, saved_link_media),
)
