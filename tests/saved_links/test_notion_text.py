"""Notion counts its 2,000-character limit in UTF-16 code units."""

from flows.saved_links.notion_source import TEXT_LIMIT, _text, cut_utf16


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_an_emoji_counts_two_and_is_never_cut_in_half():
    text = "a" + "😀" * 1500  # 1 + 3000 units
    cut = cut_utf16(text)
    assert utf16_units(cut) <= TEXT_LIMIT
    assert cut == "a" + "😀" * 999  # 1999 units: the 1000th emoji would split
    assert cut.encode("utf-8").decode("utf-8") == cut


def test_text_within_the_limit_is_untouched_and_every_write_is_cut():
    assert cut_utf16("é" * 2000) == "é" * 2000
    (item,) = _text("😀" * 1001)
    assert utf16_units(item["text"]["content"]) == 2000
