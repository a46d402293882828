"""Narration: real espeak-ng, one call per sentence, cues from the measured audio."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from flows.common.errors import ConfigError, PermanentError
from flows.video import voice as voice_module
from flows.video.voice import (
    GAP_SECONDS,
    LEAD_SECONDS,
    MARGIN_SECONDS,
    EspeakVoice,
    Voice,
    VoiceError,
    narrate,
    register_engine,
    voice_for,
)
from tests.video.mediafiles import speech_onsets


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_each_sentence_gets_a_cue_where_its_speech_starts(tmp_path: Path) -> None:
    sentences = ["Octopuses have three hearts.", "Two of them stop when it swims.", "Why?"]
    narration = narrate(sentences, voice_for("en-us"), tmp_path)

    assert [c.text for c in narration.cues] == sentences
    assert narration.path == tmp_path / "narration.wav"
    assert narration.duration == pytest.approx(wav_seconds(narration.path), abs=0.001)
    starts = [c.start for c in narration.cues]
    assert starts == sorted(starts) and starts[0] == pytest.approx(LEAD_SECONDS, abs=0.05)
    for cue, following in zip(narration.cues, narration.cues[1:], strict=False):
        assert cue.start < cue.end <= following.start
        assert following.start - cue.start > GAP_SECONDS
    assert narration.cues[-1].end <= narration.duration
    onsets = speech_onsets(narration.path)
    for cue in narration.cues:
        assert min(abs(o - cue.start) for o in onsets) < 0.05, cue


def test_text_is_never_an_option_or_markup(tmp_path: Path) -> None:
    """The LLM's text reaches espeak-ng on stdin: a leading dash or an SSML tag is read."""
    sentences = ["--help me understand.", "<speak>Tags are words here.</speak>"]
    narration = narrate(sentences, EspeakVoice(), tmp_path)
    assert [c.text for c in narration.cues] == sentences
    assert all(c.end - c.start > 0.5 for c in narration.cues), "each was spoken, not parsed"


def test_a_tts_failure_names_the_sentence(tmp_path: Path) -> None:
    with pytest.raises(VoiceError, match="Hello world") as caught:
        narrate(["Hello world."], EspeakVoice("zz-nosuch"), tmp_path)
    assert isinstance(caught.value, PermanentError)
    with pytest.raises(VoiceError, match="over 1000 characters"):
        narrate(["word " * 300], EspeakVoice(), tmp_path)
    with pytest.raises(VoiceError, match="empty"):
        narrate(["", "   "], EspeakVoice(), tmp_path)


@pytest.mark.parametrize("name", ["-v", "en us", "../../etc", "x"])
def test_a_voice_name_that_is_not_one_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="voice"):
        voice_for(name)


class ToneVoice:
    """Another engine, as piper or a cloud TTS would plug in: here a tone whose length is
    the text's, padded with silence as real engines do."""

    name = "tone"

    def __init__(self, pad: float = 0.2, rate: int = 16000) -> None:
        self.pad, self.rate = pad, rate

    def speak(self, text: str, out: Path) -> None:
        loud = int(0.05 * len(text) * self.rate)
        pad = [0] * int(self.pad * self.rate)
        tone = [int(8000 * math.sin(i / 5)) or 1000 for i in range(loud)]
        with wave.open(str(out), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.rate)
            wav.writeframes(struct.pack(f"<{len(pad) * 2 + loud}h", *pad, *tone, *pad))


def test_another_engine_plugs_in_and_its_padding_is_trimmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(voice_module.ENGINES, "tone", lambda voice: ToneVoice())
    register_engine("tone", lambda voice: ToneVoice())
    tone = voice_for("tone:any")
    assert isinstance(tone, Voice)
    narration = narrate(["ab", "abcdefghij"], tone, tmp_path)
    first, second = narration.cues
    assert first.start == pytest.approx(LEAD_SECONDS + MARGIN_SECONDS, abs=0.002)
    # the engine's 2 x 0.2 s of padding is gone: only the gap (and a 20 ms margin each
    # side) separates the end of the first tone (2 chars x 50 ms) from the second
    between = second.start - (first.start + 0.1)
    assert between == pytest.approx(GAP_SECONDS + 2 * MARGIN_SECONDS, abs=0.002)
    assert voice_for("en-us").name == "espeak-ng:en-us"
    with pytest.raises(ConfigError, match="unknown engine"):
        voice_for("piper:en_US-lessac")
