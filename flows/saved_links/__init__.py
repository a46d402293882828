"""Saved social-media links from Notion, downloaded three times a day (seed 000)."""
