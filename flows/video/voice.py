"""Narration: one TTS call per sentence, so each sentence's measured length gives its
subtitle cue exactly, instead of guessing timings from word counts (the cause of the
out-of-sync subtitles users complain about in other tools).

espeak-ng is the default engine because it is offline, fast and installed by the
system dependencies; `Voice` is the small interface another engine (piper, a cloud TTS)
implements, and `voice_for` is the registry that picks one by name.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import tempfile
import wave
from array import array
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from flows.common.errors import ConfigError, PermanentError, machine_error

ESPEAK = "espeak-ng"
SENTENCE_MAX = 1000  # characters; the LLM's reply is outside input
GAP_SECONDS = 0.25  # silence between sentences: a breath, and room for the cue change
LEAD_SECONDS = 0.3  # before the first sentence, so the first frame is not mid-word
TAIL_SECONDS = 0.6  # after the last one, so the video does not cut the last word
# A sample louder than this (of 32767) is speech: espeak-ng's own padding is digital
# silence, so a low threshold finds the onset to the sample.
SILENCE_THRESHOLD = 300
MARGIN_SECONDS = 0.02  # kept around the speech when trimming each sentence's padding


class VoiceError(PermanentError):
    """A sentence could not be spoken; the message names the sentence and the engine."""


@runtime_checkable
class Voice(Protocol):
    """A TTS engine bound to one voice: `speak` writes `text` as a 16-bit PCM WAV."""

    name: str

    def speak(self, text: str, out: Path) -> None: ...


_VOICE_NAME = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{1,8})*(?:\+[a-z0-9]{1,12})?$", re.I)


def _shown(text: str, limit: int = 80) -> str:
    """A sentence as an error shows it: quoted and shortened."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class EspeakVoice:
    """espeak-ng, one process per sentence, the text on stdin (never an argument that
    could start with "-") and no SSML (`-m` is never passed), because the text comes
    from an LLM."""

    def __init__(
        self, voice: str = "en-us", words_per_minute: int = 165, *, timeout: float = 60.0
    ) -> None:
        if not _VOICE_NAME.match(voice):
            raise ConfigError(f"espeak-ng voice {voice!r} is not a voice name (e.g. en-us)")
        if not 80 <= words_per_minute <= 450:
            raise ConfigError(f"espeak-ng words_per_minute {words_per_minute} not in 80..450")
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.timeout = timeout
        self.name = f"espeak-ng:{voice}"

    def __repr__(self) -> str:
        return f"EspeakVoice({self.voice!r}, words_per_minute={self.words_per_minute})"

    def speak(self, text: str, out: Path) -> None:
        args = [ESPEAK, "-v", self.voice, "-s", str(self.words_per_minute), "-w", str(out)]
        try:
            done = subprocess.run(
                [*args, "--stdin"],
                input=text.encode(),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise VoiceError(f"{ESPEAK} is not installed (speaking {_shown(text)})") from exc
        except subprocess.TimeoutExpired as exc:
            raise VoiceError(
                f"{ESPEAK} took over {self.timeout:.0f} s on sentence {_shown(text)}"
            ) from exc
        if done.returncode != 0 or not out.is_file():
            tail = done.stderr.decode(errors="replace").strip()[-500:]
            raise VoiceError(
                f"{ESPEAK} (voice {self.voice}) failed on sentence {_shown(text)}: "
                f"exit {done.returncode}: {tail}"
            )


#: Engines by prefix: "espeak:en-us", or a bare voice name for espeak-ng. Another engine
#: registers a factory taking the part after the colon.
ENGINES: dict[str, Callable[[str], Voice]] = {"espeak": EspeakVoice, "espeak-ng": EspeakVoice}
DEFAULT_ENGINE = "espeak"


def register_engine(prefix: str, factory: Callable[[str], Voice]) -> None:
    """Make `voice_for("<prefix>:<voice>")` build voices with `factory`."""
    ENGINES[prefix] = factory


def voice_for(name: str) -> Voice:
    """The voice a request's `voice` names: `engine:voice`, or a bare espeak-ng voice."""
    engine, sep, voice = name.partition(":")
    if not sep:
        engine, voice = DEFAULT_ENGINE, name
    factory = ENGINES.get(engine)
    if factory is None:
        raise ConfigError(f"voice {name!r}: unknown engine {engine!r} (known: {sorted(ENGINES)})")
    return factory(voice)


class Cue(BaseModel):
    """One subtitle: a sentence and when it is spoken, in seconds from the start."""

    start: float
    end: float
    text: str


class Narration(BaseModel):
    """The spoken track (a WAV), its cues and its length in seconds."""

    path: Path
    cues: list[Cue]
    duration: float


def _clean(sentence: str) -> str:
    return " ".join(sentence.split())


def _read(path: Path, sentence: str) -> tuple[wave._wave_params, array]:
    try:
        with wave.open(str(path), "rb") as wav:
            params = wav.getparams()
            frames = wav.readframes(params.nframes)
    except (wave.Error, EOFError) as exc:
        raise VoiceError(f"the voice wrote no readable WAV for {_shown(sentence)}: {exc}") from exc
    if params.sampwidth != 2 or params.nchannels != 1:
        raise VoiceError(
            f"the voice wrote {params.nchannels} channel(s) of {8 * params.sampwidth}-bit "
            f"audio for {_shown(sentence)}; narration takes 16-bit mono"
        )
    samples = array("h")
    samples.frombytes(frames)
    return params, samples


def _speech_bounds(samples: array) -> tuple[int, int] | None:
    """First and one-past-last loud sample, or None for a sentence that is all silence."""
    n = len(samples)
    first = next((i for i in range(n) if abs(samples[i]) > SILENCE_THRESHOLD), None)
    if first is None:
        return None
    last = next(i for i in range(n - 1, first - 1, -1) if abs(samples[i]) > SILENCE_THRESHOLD)
    return first, last + 1


def narrate(sentences: list[str], voice: Voice, out_dir: Path) -> Narration:
    """Speak each sentence on its own, trim the engine's padding, join them with a short
    gap into `out_dir/narration.wav`, and give each sentence a cue that starts where its
    speech starts in that file.

    Sentences are spoken in parallel (one process each, CPU-bound), joined in order.
    A sentence that makes no sound (only punctuation) gets no cue.
    """
    texts = [_clean(s) for s in sentences]
    texts = [t for t in texts if t]
    if not texts:
        raise VoiceError("nothing to narrate: every sentence is empty")
    for text in texts:
        if len(text) > SENTENCE_MAX:
            raise VoiceError(f"sentence over {SENTENCE_MAX} characters: {_shown(text)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "narration.wav"
    try:
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".voice-") as tmp:
            paths = [Path(tmp) / f"{i:04d}.wav" for i in range(len(texts))]
            workers = max(1, min(len(texts), os.cpu_count() or 1))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(voice.speak, texts, paths))
            return _join(texts, paths, target)
    except OSError as exc:
        machine = machine_error(exc)
        if machine is None:
            raise
        raise machine from exc


def _join(texts: list[str], paths: list[Path], target: Path) -> Narration:
    params: wave._wave_params | None = None
    rate = 0
    track = array("h")
    cues: list[Cue] = []
    for text, path in zip(texts, paths, strict=True):
        got, samples = _read(path, text)
        if params is None:
            params, rate = got, got.framerate
            track.extend(array("h", bytes(2 * round(LEAD_SECONDS * rate))))
        elif got.framerate != rate:
            raise VoiceError(f"the voice changed sample rate at {_shown(text)}")
        bounds = _speech_bounds(samples)
        if bounds is None:
            continue
        margin = round(MARGIN_SECONDS * rate)
        first, end = max(0, bounds[0] - margin), min(len(samples), bounds[1] + margin)
        if cues:
            track.extend(array("h", bytes(2 * round(GAP_SECONDS * rate))))
        onset = len(track) + (bounds[0] - first)
        track.extend(samples[first:end])
        speech_end = len(track) - (end - bounds[1])
        cues.append(Cue(start=onset / rate, end=speech_end / rate, text=text))
    if not cues:
        raise VoiceError(f"the voice made no sound for any of {len(texts)} sentence(s)")
    # A cue stays up until the next one starts, so the screen never flashes empty.
    for cue, following in itertools.pairwise(cues):
        cue.end = max(cue.end, following.start - 0.05)
    track.extend(array("h", bytes(2 * round(TAIL_SECONDS * rate))))
    cues[-1].end = min(cues[-1].end + TAIL_SECONDS / 2, len(track) / rate)
    tmp = target.with_name(f".{target.name}.tmp")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(track.tobytes())
    os.replace(tmp, target)
    return Narration(path=target, cues=cues, duration=len(track) / rate)


def espeak_available() -> bool:
    """Whether espeak-ng is on PATH (the health check and tests ask)."""
    return shutil.which(ESPEAK) is not None
