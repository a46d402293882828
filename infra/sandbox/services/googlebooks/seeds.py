"""The demo's Google Books (``--seed demo``): an API key and the volumes of the demo
library (Sanderson's Mistborn and Stormlight books, Andy Weir's novels, a German edition).

Fixed key and volume ids, so ``make demo`` and the docs can name them.
"""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.googlebooks.client import volume
from infra.sandbox.services.googlebooks.state import GoogleBooksState

DEMO_KEY = "sandbox-google-books-key"
DEMO_QUOTA = 1000
_COVER = "https://books.google.com/books/content?id={id}&printsec=frontcover&img=1&zoom=1"
_SANDERSON = ["Brandon Sanderson"]
_WEIR = ["Andy Weir"]


def _v(volume_id: str, title: str, authors: list[str], isbn_13: str, isbn_10: str, **info: Any):
    return volume(
        title,
        authors,
        isbn_13=isbn_13,
        isbn_10=isbn_10,
        volume_id=volume_id,
        imageLinks={
            "smallThumbnail": _COVER.format(id=volume_id).replace("zoom=1", "zoom=5"),
            "thumbnail": _COVER.format(id=volume_id),
        },
        **info,
    )


def demo_volumes() -> list[dict[str, Any]]:
    tor, crown = "Tor Books", "Crown"
    return [
        _v(
            "sbxMistborn1",
            "Mistborn",
            _SANDERSON,
            "9780765311788",
            "076531178X",
            subtitle="The Final Empire",
            publisher=tor,
            publishedDate="2006-07-17",
            pageCount=541,
            categories=["Fiction"],
            description="In a world where ash falls from the sky, a street thief joins a crew.",
        ),
        _v(
            "sbxMistborn2",
            "The Well of Ascension",
            _SANDERSON,
            "9780765316882",
            "0765316889",
            publisher=tor,
            publishedDate="2007-08-21",
            pageCount=590,
            categories=["Fiction"],
            description="Book two of Mistborn: the Lord Ruler is dead, and ruling is harder.",
        ),
        _v(
            "sbxMistborn3",
            "The Hero of Ages",
            _SANDERSON,
            "9780765316899",
            "0765316897",
            publisher=tor,
            publishedDate="2008-10-14",
            pageCount=572,
            categories=["Fiction"],
            description="Book three of Mistborn: the mists and the end of the world.",
        ),
        _v(
            "sbxMistborn4",
            "The Alloy of Law",
            _SANDERSON,
            "9780765330420",
            "0765330423",
            subtitle="A Mistborn Novel",
            publisher=tor,
            publishedDate="2011-11-08",
            pageCount=332,
            categories=["Fiction"],
            description="Three hundred years after the trilogy, a lawman returns to the city.",
        ),
        _v(
            "sbxStormlight1",
            "The Way of Kings",
            _SANDERSON,
            "9780765326355",
            "0765326353",
            publisher=tor,
            publishedDate="2010-08-31",
            pageCount=1007,
            categories=["Fiction"],
            description="The first book of the Stormlight Archive.",
        ),
        _v(
            "sbxMartian",
            "The Martian",
            _WEIR,
            "9780804139021",
            "0804139024",
            subtitle="A Novel",
            publisher=crown,
            publishedDate="2014-02-11",
            pageCount=385,
            categories=["Fiction"],
            description="Stranded on Mars, an astronaut must survive.",
        ),
        _v(
            "sbxHailMary",
            "Project Hail Mary",
            _WEIR,
            "9780593135204",
            "0593135202",
            publisher="Ballantine Books",
            publishedDate="2021-05-04",
            pageCount=496,
            categories=["Fiction"],
            description="A lone astronaut must save the earth.",
        ),
        _v(
            "sbxArtemis",
            "Artemis",
            _WEIR,
            "9780553448122",
            "0553448129",
            publisher=crown,
            publishedDate="2017-11-14",
            pageCount=322,
            categories=["Fiction"],
            description="A smuggler on the first city on the moon.",
        ),
        _v(
            "sbxMarsianer",
            "Der Marsianer",
            _WEIR,
            "9783453316911",
            "3453316916",
            language="de",
            publisher="Heyne Verlag",
            publishedDate="2015-10-12",
            pageCount=512,
            categories=["Fiction"],
            description="Gestrandet auf dem Mars.",
        ),
    ]


def seed_demo(state: GoogleBooksState, base_url: str) -> Seeded:
    state.add_key(DEMO_KEY, DEMO_QUOTA)
    ids = [state.add_volume(v, []) for v in demo_volumes()]
    env = {
        "GOOGLE_BOOKS_API_KEY": DEMO_KEY,
        "GOOGLE_BOOKS_URL": base_url,
        "GOOGLE_BOOKS_BATCH_URI": f"{base_url}/batch/books/v1",
    }
    return Seeded(env=env, data={"key": DEMO_KEY, "volume_ids": ids})
