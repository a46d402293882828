"""Narration as a voice says it and a subtitle shows it: what an LLM writes for a screen
(Markdown, emoji, links, stage directions) is gone, the words stay, and sentences are
split where a listener hears them end."""

from __future__ import annotations

import pytest

from flows.video.speech import MAX_SENTENCE_CHARS, clean_for_speech, split_sentences


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Here is **the trick** in *three* steps \N{ROCKET}!", "Here is the trick in three steps!"),
        ("[Upbeat music] First, keep it simple.", "First, keep it simple."),
        ("Learn more at https://example.com/a_b?c=1 and try it.", "Learn more and try it."),
        ("See [the docs](https://docs.example.org/x_(y)) today.", "See the docs today."),
        (
            "## Step 1\n- Use a list (pause) wisely \N{THUMBS UP SIGN}\U0001f3fd\n- Then rest",
            "Step 1. Use a list wisely. Then rest.",
        ),
        ("Narrator: It is 25°C in the café.", "It is 25°C in the café."),
        (
            "For more, visit www.example.com. *laughs* Done #python #tips",
            "For more. Done python tips",
        ),
        ("Write to hello@example.com today.", "Write today."),
        (
            "Details on example.org/page/2. Or ask python.org today.",
            "Details. Or ask python.org today.",
        ),
        (
            "Use snake_case_names and __dunder__ methods.",
            "Use snake case names and dunder methods.",
        ),
        ("<speak><break time='3s'/>Hi</speak> (Cut to b-roll) there", "Hi there"),
        (
            "Right\u202eto\u200bleft and a \N{FAMILY}\u200d joined emoji",
            "Righttoleft and a joined emoji",
        ),
        ("It costs $5 (about 4 euros).", "It costs $5 (about 4 euros)."),
        ("```python\nprint('hi')\n```\nCode aside.", "Code aside."),
        ("\N{ROCKET}\N{ROCKET} https://x.example", ""),
    ],
)
def test_what_is_written_for_a_screen_is_not_spoken(written: str, spoken: str) -> None:
    assert clean_for_speech(written) == spoken
    assert clean_for_speech(spoken) == spoken, "cleaning twice changes nothing"


def test_sentences_end_where_a_listener_hears_them_end() -> None:
    paragraphs = [
        "Dr. Smith went home. It was late! Was it? Yes, e.g. this one. Tools etc. Then more.",
        'He said "Stop." Then he left.',
        "   ",
        "Pi is 3.14 exactly... not really.",
    ]
    assert split_sentences(paragraphs) == [
        "Dr. Smith went home.",
        "It was late!",
        "Was it?",
        "Yes, e.g. this one.",
        "Tools etc.",
        "Then more.",
        'He said "Stop."',
        "Then he left.",
        "Pi is 3.14 exactly...",
        "not really.",
    ]


def test_a_sentence_too_long_for_one_cue_is_split_at_a_comma_or_between_words() -> None:
    clause = "the quick brown fox jumps over the lazy dog again"
    long = ", ".join([clause] * 8) + "."
    pieces = split_sentences([long])
    assert len(pieces) > 1 and all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert " ".join(pieces) == long, "nothing lost"
    assert all(p.split()[0] == "the" for p in pieces), "split at the commas"
    no_breaks = split_sentences(["word " * 120])
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in no_breaks)
    assert sum(len(p.split()) for p in no_breaks) == 120, "no word lost"
    monster = split_sentences(["x" * 450])
    assert "".join(monster) == "x" * 450 and all(len(p) <= MAX_SENTENCE_CHARS for p in monster)
