"""Cues -> an ASS subtitle file that libass burns into the render.

ASS rather than SRT because it carries the style (font size relative to the frame,
outline, position) in the file, so the same cues look right at 1080x1920 and at a test's
180x320. The text is the LLM's, so it is escaped: in ASS, `{...}` is an override block
(position, colour, karaoke, drawing commands) and a backslash starts a tag or a line
break; either could restyle or hide the subtitles. They are replaced by lookalikes.
"""

from __future__ import annotations

from pathlib import Path

from flows.common.paths import atomic_write_bytes
from flows.video.voice import Cue

FONT = "DejaVu Sans"  # installed with fontconfig on every host we target
MAX_WORDS = 9  # a cue longer than this is shown in parts, a phone screen holds ~2 lines
_LOOKALIKE = str.maketrans({"{": "(", "}": ")", "\\": "/"})


def escape_ass(text: str) -> str:
    """Text that libass shows as written: no override blocks, tags or line breaks."""
    text = text.translate(_LOOKALIKE)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def ass_time(seconds: float) -> str:
    """ASS's h:mm:ss.cc, rounded to the nearest centisecond."""
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def split_cue(cue: Cue, max_words: int = MAX_WORDS) -> list[Cue]:
    """A long sentence as consecutive parts of at most `max_words` words, its time shared
    by their lengths. The first part starts exactly at the sentence's onset."""
    words = cue.text.split()
    if len(words) <= max_words:
        return [cue]
    count = -(-len(words) // max_words)
    per = -(-len(words) // count)  # balanced parts: 10 words -> 5 + 5, not 9 + 1
    parts = [" ".join(words[i : i + per]) for i in range(0, len(words), per)]
    total = sum(len(p) + 1 for p in parts)
    span = cue.end - cue.start
    out: list[Cue] = []
    start = cue.start
    for i, part in enumerate(parts):
        end = cue.end if i == len(parts) - 1 else start + span * (len(part) + 1) / total
        out.append(Cue(start=start, end=end, text=part))
        start = end
    return out


def ass_document(cues: list[Cue], size: tuple[int, int]) -> str:
    """The whole ASS file for a frame of `size` (width, height)."""
    width, height = size
    portrait = height > width
    font_size = max(8, round(min(width, height) * (0.065 if portrait else 0.055)))
    outline = max(1, round(font_size / 14))
    margin_v = round(height * (0.22 if portrait else 0.08))
    margin_h = round(width * 0.06)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{FONT},{font_size},&H00FFFFFF,&H000000FF,&H00000000,&H80000000,"
        f"-1,0,0,0,100,100,0,0,1,{outline},{max(0, outline // 2)},2,"
        f"{margin_h},{margin_h},{margin_v},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in cues:
        for part in split_cue(cue):
            text = escape_ass(part.text)
            if not text or part.end <= part.start:
                continue
            events.append(
                f"Dialogue: 0,{ass_time(part.start)},{ass_time(part.end)},Default,,0,0,0,,{text}"
            )
    return "\n".join([*header, *events]) + "\n"


def write_subtitles(cues: list[Cue], size: tuple[int, int], out: Path) -> Path:
    """Write the ASS file for `cues` at `out` (atomically) and return its path."""
    atomic_write_bytes(out, ass_document(cues, size).encode("utf-8-sig"))
    return out
