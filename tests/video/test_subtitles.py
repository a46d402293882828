"""ASS subtitles: timed, sized for the frame, and the LLM's text cannot inject tags."""

from __future__ import annotations

import itertools
from pathlib import Path

from flows.video.subtitles import ass_document, ass_time, escape_ass, split_cue, write_subtitles
from flows.video.voice import Cue


def dialogue_texts(document: str) -> list[str]:
    return [line.split(",", 9)[9] for line in document.splitlines() if line.startswith("Dialogue:")]


def test_override_tags_and_line_breaks_are_shown_not_obeyed() -> None:
    hostile = "{\\pos(0,0)\\fs200}Big{\\r} text\\Nbroken \\h line\nnew\tline"
    text = escape_ass(hostile)
    assert not {"{", "}", "\\", "\n", "\t"} & set(text)
    assert text == "(/pos(0,0)/fs200)Big(/r) text/Nbroken /h line new line"
    document = ass_document([Cue(start=0.5, end=2, text=hostile)], (180, 320))
    [shown] = dialogue_texts(document)
    assert shown == text


def test_cues_keep_their_times_and_the_style_fits_the_frame(tmp_path: Path) -> None:
    cues = [Cue(start=0.304, end=1.5, text="One."), Cue(start=3661.126, end=3662.0, text="Two.")]
    out = write_subtitles(cues, (1080, 1920), tmp_path / "subs.ass")
    document = out.read_text(encoding="utf-8-sig")
    assert "PlayResX: 1080" in document and "PlayResY: 1920" in document
    assert "Dialogue: 0,0:00:00.30,0:00:01.50,Default,,0,0,0,,One." in document
    assert "Dialogue: 0,1:01:01.13,1:01:02.00,Default,,0,0,0,,Two." in document

    def font_size(size: tuple[int, int]) -> int:
        return int(ass_document(cues, size).split("Style: Default,")[1].split(",")[1])

    assert font_size((180, 320)) < 20 < 60 < font_size((1080, 1920))
    assert 50 < font_size((1920, 1080)) < font_size((1080, 1920))
    assert ass_time(0) == "0:00:00.00" and ass_time(59.999) == "0:01:00.00"


def test_a_long_sentence_is_shown_in_parts_from_its_onset() -> None:
    words = " ".join(f"word{i}" for i in range(20))
    parts = split_cue(Cue(start=2.0, end=8.0, text=words))
    assert len(parts) == 3 and parts[0].start == 2.0 and parts[-1].end == 8.0
    assert " ".join(p.text for p in parts) == words
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    assert all(len(p.text.split()) <= 9 for p in parts)
