"""Narration text as a voice should say it and a subtitle should show it.

An LLM writes for a screen: Markdown emphasis, bullet points, links, emoji, hashtags
and stage directions like "[Upbeat music]" or "(pause)". Spoken by espeak-ng they
come out as "asterisk asterisk", a URL spelled letter by letter, or an emoji's
Unicode name; burned into subtitles they are noise. So the script stage cleans the
narration once, before it is spoken or subtitled, and both read the same sentences.

The text stays outside input after cleaning: it is never made into a path or an
argv here, and `voice`/`subtitles` keep their own escaping.
"""

from __future__ import annotations

import re
import unicodedata

# A sentence longer than this is split at a comma, semicolon or colon (and, failing
# that, between words): one subtitle cue must fit the screen, and one espeak-ng call
# per sentence keeps the cue timing exact.
MAX_SENTENCE_CHARS = 200

# Symbols that are words when read aloud; every other "Symbol, other" (emoji,
# dingbats, arrows, box drawing) is dropped.
_KEPT_SYMBOLS = frozenset("°©®™℃℉")
_CLOSERS = "\"'\u201d\u2019)]"  # quotes and brackets that may follow a full stop
_DASHES = "\u2013\u2014-"  # en dash, em dash, hyphen (last: literal in a [...] class)
_TRIM = " ,;:" + _DASHES
# Words that make a bracketed or parenthesised aside a stage direction, not speech.
_DIRECTION_WORDS = (
    r"music|sound|sfx|fx|pause|beat|silence|laugh\w*|chuckle\w*|sigh\w*|applause|"
    r"intro|outro|cut|fade\w*|transition|b-?roll|scene|shot|camera|visual\w*|on[- ]screen|"
    r"voice[- ]?over|vo|narrator|host|cue|jingle|whoosh|ding|text overlay|overlay"
)

_CODE_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()\s]*\)){0,2000}\)")
# A URL or address, with the "at"/"visit" that leads to it: "learn more at <url>".
_LEAD = r"(?:\b(?:at|visit|see|via|on|to)\s+)?"
_URL = re.compile(
    _LEAD + r"(?:\b[a-z][a-z0-9+.-]{0,30}://|\bwww\.)(?:[^\s<>\"')\]]*[^\s<>\"')\].,;:!?])?", re.I
)
# A host with a path ("example.org/page"); a bare domain ("python.org") is said as it is.
_PATH_URL = re.compile(
    _LEAD + r"\b(?:[a-z0-9-]{1,63}\.){1,10}[a-z]{2,24}/(?:[^\s<>\"')\]]*[^\s<>\"')\].,;:!?])?", re.I
)
_EMAIL = re.compile(_LEAD + r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,10}\b", re.I)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BRACKETED = re.compile(r"\[[^\[\]]*\]")
_DIRECTION = re.compile(rf"\b(?:{_DIRECTION_WORDS})\b", re.I)
# Asides are short: the bounds keep every pattern linear on hostile input.
_PARENS = re.compile(r"\(([^()]{0,300})\)")
_STARS = re.compile(r"(?<!\w)\*(?![\s*])([^*\n]{1,300})\*")
_SPEAKER = re.compile(
    r"^[ \t]*(?:narrator|voice[- ]?over|vo|host|speaker\s*\d*|scene\s*\d+|intro|outro)\s*"
    rf"[:{_DASHES}]\s*",
    re.I | re.M,
)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.M)
_QUOTE = re.compile(r"^[ \t]*>+[ \t]?", re.M)
_BULLET = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+", re.M)
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M)
_EMPHASIS = re.compile(r"(\*{1,3}|~~)(?=\S)(.{1,300}?)(?<=\S)\1")
_UNDERSCORES = re.compile(r"(?<!\w)(_{1,3})(?=\S)(.{1,300}?)(?<=\S)\1(?!\w)")  # not in snake_case
_HASHTAG = re.compile(r"(?<![\w&])#(\w)")
_INLINE_CODE = re.compile(r"`([^`]*)`")
_STRAY = re.compile(r"[*_~`#|^\\]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?…)])")
_EMPTY_PARENS = re.compile(r"\(\s*\)|\[\s*\]")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
_PAUSE_BEFORE_STOP = re.compile(r"[,;:]+(?=[.!?])")  # "For more, ." once a URL is gone

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "no",
        "fig",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "a.m",
        "p.m",
    ]
)
_SENTENCE_END = re.compile(rf"(?<=[.!?…])[{re.escape(_CLOSERS)}]*\s+")
_SOFT_BREAK = re.compile(rf"[,;:]\s+|\s[{_DASHES}]\s")


def _drop_symbols(text: str) -> str:
    """Emoji and other pictographs out; letters, digits, punctuation and a few
    spoken symbols (°, ©, ™) kept. Joiners, variation selectors, skin tones and
    invisible format characters (bidi overrides, zero-width spaces) go too."""
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\n\t":
            kept.append(char)
        elif category == "So" and char not in _KEPT_SYMBOLS:
            kept.append(" ")
        elif category in ("Cc", "Cf", "Co", "Cn", "Cs", "Mn") and not (
            category == "Mn" and kept and kept[-1].isalpha()
        ):
            continue  # a combining mark stays only on a letter (é written as e + ́)
        elif category == "Sk" and 0x1F3FB <= ord(char) <= 0x1F3FF:
            continue  # skin-tone modifiers
        else:
            kept.append(char)
    return "".join(kept)


def _unless_direction(match: re.Match[str]) -> str:
    """An aside stays unless it is a stage direction: "(about 4 euros)" is speech,
    "(pause)" and "*laughs*" are not."""
    return " " if _DIRECTION.search(match.group(1)) else match.group(0)


def _end_items(text: str) -> str:
    """A heading or list item is a sentence of its own when spoken: without a full
    stop, "## Step 1" runs into the line after it."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        item = _HEADING.match(line) or _BULLET.match(line)
        stripped = line.rstrip()
        if item and stripped and stripped[-1] not in ".!?…:;,":
            lines[i] = stripped + "."
    return "\n".join(lines)


def clean_for_speech(text: str) -> str:
    """One paragraph as plain spoken text on one line: Markdown, emoji, URLs, e-mail
    addresses, HTML/SSML tags and stage directions removed. Cleaning twice changes
    nothing (a removal can reveal another, so it runs until nothing changes, at most
    a few times). An empty result means there was nothing to say."""
    for _ in range(4):
        cleaned = _clean_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _clean_once(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CODE_FENCE.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _PATH_URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _BRACKETED.sub(" ", text)
    text = _PARENS.sub(_unless_direction, text)
    text = _STARS.sub(_unless_direction, text)
    text = _RULE.sub(" ", text)
    text = _end_items(text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    text = _SPEAKER.sub("", text)
    text = _INLINE_CODE.sub(r"\1", text)
    for _ in range(3):  # nested emphasis: ***bold italic***, **_both_**
        text = _UNDERSCORES.sub(r"\2", _EMPHASIS.sub(r"\2", text))
    text = _HASHTAG.sub(r"\1", text)
    text = _drop_symbols(text)
    text = _STRAY.sub(" ", text)
    text = _EMPTY_PARENS.sub(" ", text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _PAUSE_BEFORE_STOP.sub("", text)
    text = text.strip(_TRIM)
    return text if any(c.isalnum() for c in text) else ""


def _ends_with_abbreviation(piece: str) -> bool:
    words = piece.rstrip(_CLOSERS).split()
    if not words:
        return False
    last = words[-1].lower().rstrip(".")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _split_long(sentence: str) -> list[str]:
    """A sentence over `MAX_SENTENCE_CHARS` in pieces at the soft break nearest its
    middle; a run of text without one, between words; a word longer than the limit
    (no one says that) is cut."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    middle = len(sentence) // 2
    breaks = [m.end() for m in _SOFT_BREAK.finditer(sentence) if 0 < m.start() < len(sentence)]
    if not breaks:
        spaces = [i for i, c in enumerate(sentence) if c == " "]
        breaks = [i + 1 for i in spaces]
    cut = min(breaks, key=lambda i: abs(i - middle)) if breaks else MAX_SENTENCE_CHARS
    head, tail = sentence[:cut].strip(), sentence[cut:].strip()
    if not head or not tail:
        head, tail = sentence[:MAX_SENTENCE_CHARS], sentence[MAX_SENTENCE_CHARS:]
    # The comma stays at the end of the first piece (the voice pauses there); a dash
    # between the pieces goes.
    head, tail = head.rstrip(" " + _DASHES), tail.lstrip(_TRIM)
    return [p for part in (head, tail) if part for p in _split_long(part)]


def split_sentences(paragraphs: list[str]) -> list[str]:
    """The sentences of cleaned paragraphs, in order, never across a paragraph: one
    espeak-ng call and one subtitle cue each. "Dr. Smith" and "e.g. this" are not
    ends of sentences; a sentence too long for one cue is split at a comma."""
    sentences: list[str] = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        pieces: list[str] = []
        start = 0
        for match in _SENTENCE_END.finditer(text):
            candidate = text[start : match.start()]
            rest = text[match.end() :]
            etc_then_new = candidate.endswith("etc.") and rest[:1].isupper()
            if _ends_with_abbreviation(candidate) and not etc_then_new:
                continue
            pieces.append(text[start : match.end()].strip())
            start = match.end()
        pieces.append(text[start:].strip())
        for piece in pieces:
            if any(c.isalnum() for c in piece):
                sentences.extend(_split_long(piece))
    return sentences
