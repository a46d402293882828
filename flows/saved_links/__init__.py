"""Saved links: a Notion database of saved social-media links, downloaded three
times a day with Done / Failed written back per row."""

SOURCE_BLOCK = "saved-links"
