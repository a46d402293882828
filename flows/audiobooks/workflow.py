"""Audiobooks as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from prefect.filesystems import LocalFileSystem

from blocks.audiobooks import CatalogueFeed, DownloadClient, GoogleBooks
from flows.audiobooks import (
    CATALOGUE_BLOCK,
    DOWNLOAD_CLIENT_BLOCK,
    GOOGLE_BOOKS_BLOCK,
    JOBS,
    LIBRARY_BLOCK,
)
from flows.audiobooks.health import last_runs
from flows.audiobooks.tables import TABLES
from flows.common.workflows import BlockSetting, DemoRun, Workflow

WORKFLOW = Workflow(
    name="audiobooks",
    title="Audiobook library",
    blocks=(
        # The library folder is Prefect's own LocalFileSystem block: a path, per site.
        BlockSetting(LIBRARY_BLOCK, LocalFileSystem, {"basepath": "AUDIOBOOK_LIBRARY"}),
        BlockSetting(
            GOOGLE_BOOKS_BLOCK,
            GoogleBooks,
            {
                "api_key": "GOOGLE_BOOKS_API_KEY",
                "base_url": "GOOGLE_BOOKS_URL",
                "batch_uri": "GOOGLE_BOOKS_BATCH_URI",
                "daily_quota": "GOOGLE_BOOKS_DAILY_QUOTA",
            },
        ),
        BlockSetting(
            CATALOGUE_BLOCK,
            CatalogueFeed,
            {
                "url": "CATALOGUE_URL",
                "top10_url": "CATALOGUE_TOP10_URL",
                "genres": "CATALOGUE_GENRES",
                "username": "CATALOGUE_USERNAME",
                "password": "CATALOGUE_PASSWORD",
                "token": "CATALOGUE_TOKEN",
            },
        ),
        BlockSetting(
            DOWNLOAD_CLIENT_BLOCK,
            DownloadClient,
            {
                "url": "DOWNLOAD_CLIENT_URL",
                "username": "DOWNLOAD_CLIENT_USERNAME",
                "password": "DOWNLOAD_CLIENT_PASSWORD",
                "category": "DOWNLOAD_CLIENT_CATEGORY",
            },
        ),
    ),
    # In the order the schedule runs them in a month: the import and the feed first,
    # then what reads the library (metadata, top-10), then what fills its gaps.
    demo=(
        DemoRun(JOBS["task-cleanup"]),
        DemoRun(JOBS["source-sync"]),
        DemoRun(JOBS["metadata-full"], phase=1),
        DemoRun(JOBS["top10"], phase=1),
        DemoRun(JOBS["metadata-new"], phase=2),
        DemoRun(JOBS["series-completion"], phase=2),
        DemoRun(JOBS["author-completion"], phase=2),
    ),
    health=(last_runs,),
    tables=TABLES,
)
