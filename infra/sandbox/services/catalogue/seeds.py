"""The demo's catalogue: a dozen new listings, among them the missing books of the demo
library's series (Mistborn #3 and a #3.5 novella; The Stormlight Archive #2), and top-10
lists for two genres that name some owned books and many that are not."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.catalogue.specs import ItemSpec
from infra.sandbox.services.catalogue.state import CatalogueState

GENRES = ("fantasy", "science-fiction")

# title, authors, series, position, isbn
_LISTINGS: list[tuple[str, list[str], str | None, float | None, str | None]] = [
    ("The Hero of Ages", ["Brandon Sanderson"], "Mistborn", 3, "9780765356147"),
    ("Mistborn: Secret History", ["Brandon Sanderson"], "Mistborn", 3.5, None),
    ("Words of Radiance", ["Brandon Sanderson"], "The Stormlight Archive", 2, "9780765365279"),
    ("Project Hail Mary", ["Andy Weir"], None, None, "9780593135204"),
    ("Artemis", ["Andy Weir"], None, None, None),
    ("The Name of the Wind", ["Patrick Rothfuss"], "The Kingkiller Chronicle", 1, None),
    ("Dune", ["Frank Herbert"], "Dune", 1, "9780441172719"),
    ("Leviathan Wakes", ["James S. A. Corey"], "The Expanse", 1, "9780316129084"),
    ("The Eye of the World", ["Robert Jordan"], "The Wheel of Time", 1, None),
    ("Red Rising", ["Pierce Brown"], "Red Rising Saga", 1, "9780345539809"),
    ("The Lies of Locke Lamora", ["Scott Lynch"], "Gentleman Bastard", 1, "9780553588941"),
    ("Children of Time", ["Adrian Tchaikovsky"], "Children of Time", 1, None),
]

_SCIENCE_FICTION = {
    "Project Hail Mary",
    "Artemis",
    "Dune",
    "Leviathan Wakes",
    "Red Rising",
    "Children of Time",
}

_TOP10: dict[str, list[tuple[str, list[str]]]] = {
    "fantasy": [
        ("The Way of Kings", ["Brandon Sanderson"]),
        ("The Name of the Wind", ["Patrick Rothfuss"]),
        ("The Final Empire", ["Brandon Sanderson"]),
        ("The Eye of the World", ["Robert Jordan"]),
        ("The Hero of Ages", ["Brandon Sanderson"]),
        ("The Lies of Locke Lamora", ["Scott Lynch"]),
        ("A Game of Thrones", ["George R. R. Martin"]),
        ("The Blade Itself", ["Joe Abercrombie"]),
        ("Assassin's Apprentice", ["Robin Hobb"]),
        ("The Fellowship of the Ring", ["J. R. R. Tolkien"]),
    ],
    "science-fiction": [
        ("The Martian", ["Andy Weir"]),
        ("Project Hail Mary", ["Andy Weir"]),
        ("Dune", ["Frank Herbert"]),
        ("Leviathan Wakes", ["James S. A. Corey"]),
        ("Red Rising", ["Pierce Brown"]),
        ("Children of Time", ["Adrian Tchaikovsky"]),
        ("Hyperion", ["Dan Simmons"]),
        ("Ender's Game", ["Orson Scott Card"]),
        ("The Three-Body Problem", ["Cixin Liu"]),
        ("Neuromancer", ["William Gibson"]),
    ],
}


def magnet(title: str) -> str:
    """A well-formed magnet link whose info-hash is derived from the title."""
    info_hash = hashlib.sha1(title.encode()).hexdigest()
    return f"magnet:?xt=urn:btih:{info_hash}&dn={quote(title)}"


def _slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def seed_demo(state: CatalogueState, base_url: str) -> Seeded:
    state.reset()
    listings = []
    for day, (title, authors, series, position, isbn) in enumerate(_LISTINGS, start=1):
        # one listing is a .torrent URL, the rest magnet links, as catalogues mix them
        link = f"{base_url}/torrents/{_slug(title)}.torrent" if title == "Artemis" else None
        listings.append(
            ItemSpec(
                id=f"listing-{_slug(title)}",
                title=title,
                authors=authors,
                series=series,
                position=position,
                language="en",
                isbn=isbn,
                link=link or magnet(title),
                published=f"2025-01-{day:02d}T09:00:00Z",
                genre="science-fiction" if title in _SCIENCE_FICTION else "fantasy",
            )
        )
    state.put_items("listings", listings, replace=True)
    top10: dict[str, Any] = {}
    for genre, entries in _TOP10.items():
        items = [
            ItemSpec(
                id=f"top10-{genre}-{_slug(title)}",
                title=title,
                authors=authors,
                language="en",
                link=magnet(title),
                published="2025-01-05T03:00:00Z",
                genre=genre,
                rank=rank,
            )
            for rank, (title, authors) in enumerate(entries, start=1)
        ]
        state.put_items(f"top10/{genre}", items, replace=True)
        top10[genre] = [item.title for item in items]
    return Seeded(
        env={
            "CATALOGUE_URL": f"{base_url}/listings.rss",
            "CATALOGUE_TOP10_URL": f"{base_url}/top10/{{genre}}.json",
            "CATALOGUE_GENRES": ",".join(GENRES),
        },
        data={"listings": [item.title for item in listings], "top10": top10},
    )
