"""Audiobook library automation: a library imported from folders, a catalogue feed
pulled politely, metadata from Google Books that never overwrites the user's edits,
series and author gaps turned into wanted books, and a task record of every job.

The names other modules of the package (and tests) refer to by value.
"""

LIBRARY_BLOCK = "audiobook-library"
GOOGLE_BOOKS_BLOCK = "google-books"
CATALOGUE_BLOCK = "catalogue-feed"
DOWNLOAD_CLIENT_BLOCK = "download-client"

# job (task record name, feature-flag suffix) -> deployment, as users type it
JOBS = {
    "source-sync": "audiobook-source-sync/daily",
    "top10": "audiobook-top10/weekly",
    "metadata-full": "audiobook-metadata-full/monthly",
    "metadata-new": "audiobook-metadata-new/weekly",
    "series-completion": "audiobook-series-completion/monthly",
    "author-completion": "audiobook-author-completion/monthly",
    "task-cleanup": "audiobook-task-cleanup/daily",
}
