"""Real tiny renders (180x320, ultrafast) read back with ffprobe and ffmpeg: streams,
size and length, subtitles on screen when their sentence is heard, corrupt clips skipped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from flows.common.errors import MachineError, PermanentError
from flows.video.assets import Assets
from flows.video.probe import probe, render_problems
from flows.video.render import RenderError, render_video
from flows.video.voice import Cue, Narration, narrate, voice_for
from tests.video.mediafiles import (
    ffmpeg,
    frame,
    make_clip,
    make_corrupt,
    make_music,
    speech_onsets,
)

SIZE = (180, 320)
SENTENCES = [
    "Octopuses have three hearts.",
    "Two of them rest while it swims.",
    "Its blood is blue.",
]


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> Narration:
    return narrate(SENTENCES, voice_for("en-us"), tmp_path_factory.mktemp("voice"))


def white_pixels(rgb: bytes, lower_half: bool = True) -> int:
    """Near-white pixels (subtitle text is white) in the frame's lower half."""
    start = len(rgb) // 2 if lower_half else 0
    px = rgb[start:]
    return sum(1 for i in range(0, len(px) - 2, 3) if min(px[i], px[i + 1], px[i + 2]) > 220)


def test_subtitles_start_within_100_ms_of_their_sentence_in_the_rendered_audio(
    narration: Narration, tmp_path: Path
) -> None:
    generated = Assets(backgrounds=[], music=None, generated=True)
    out = tmp_path / "video.mp4"
    rendered = render_video(narration, generated, SIZE, out, preset="ultrafast")

    assert rendered.path == out and rendered.skipped == [] and rendered.seconds > 0
    info = probe(out)
    assert render_problems(info, narration.duration, SIZE) == []
    assert rendered.duration == pytest.approx(narration.duration, rel=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.mp4"], "no work files left"

    # What a viewer hears: sound starts after each silence, measured on the MP4's AAC track.
    onsets = [t for t in speech_onsets(out) if t < rendered.duration - 0.3]
    assert len(onsets) == len(narration.cues)
    for onset, cue in zip(onsets, narration.cues, strict=True):
        assert abs(onset - cue.start) < 0.1, (cue.text, onset, cue.start)

    # What a viewer sees: white subtitle text while a cue is up, none before the first.
    assert white_pixels(frame(out, 0.1)) == 0
    for cue in narration.cues:
        assert white_pixels(frame(out, (cue.start + cue.end) / 2)) > 50, cue.text


def test_a_corrupt_clip_is_skipped_and_named_and_the_render_goes_on(
    narration: Narration, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    still = tmp_path / "lib/still.png"
    Image.new("RGB", (64, 64), (20, 90, 160)).save(still)
    backgrounds = [
        make_clip(tmp_path / "lib/wide.mp4"),  # landscape into portrait: cropped, looped
        make_corrupt(tmp_path / "lib/broken.mp4"),
        still,
    ]
    music = make_music(tmp_path / "lib/music.m4a")  # shorter than the narration: looped
    assets = Assets(backgrounds=backgrounds, music=music, generated=False)
    rendered = render_video(narration, assets, SIZE, tmp_path / "out/video.mp4", preset="ultrafast")

    [reason] = rendered.skipped
    assert str(tmp_path / "lib/broken.mp4") in reason
    assert render_problems(probe(rendered.path), narration.duration, SIZE) == []
    gaps = [t for t in speech_onsets(rendered.path) if t < rendered.duration - 1.5]  # fade-out
    assert gaps == [], "music plays under the pauses"


def test_with_every_clip_and_the_music_corrupt_the_job_still_renders(
    narration: Narration, tmp_path: Path
) -> None:
    broken = [make_corrupt(tmp_path / "a.mp4"), make_corrupt(tmp_path / "b.mov")]
    music = make_corrupt(tmp_path / "song.m4a")
    assets = Assets(backgrounds=broken, music=music, generated=False)
    rendered = render_video(narration, assets, SIZE, tmp_path / "v.mp4", preset="ultrafast")
    assert len(rendered.skipped) == 3
    for name in ("a.mp4", "b.mov", "song.m4a"):
        assert any(str(tmp_path / name) in reason for reason in rendered.skipped), name
    assert render_problems(probe(rendered.path), narration.duration, SIZE) == []


def test_bad_render_input_is_a_permanent_error_naming_it(
    narration: Narration, tmp_path: Path
) -> None:
    generated = Assets(backgrounds=[], music=None, generated=True)
    with pytest.raises(RenderError, match="preset 'turbo'"):
        render_video(narration, generated, SIZE, tmp_path / "v.mp4", preset="turbo")
    gone = narration.model_copy(update={"path": tmp_path / "gone.wav"})
    with pytest.raises(RenderError, match=r"gone\.wav") as caught:
        render_video(gone, generated, SIZE, tmp_path / "v.mp4")
    assert isinstance(caught.value, PermanentError)
    assert not (tmp_path / "v.mp4").exists()


def band_level(media: Path, start: float, end: float, hz: int) -> float:
    """RMS level (dB) of the `hz` band of `media`'s audio between `start` and `end`."""
    args = ["ffmpeg", "-nostdin", "-v", "info", "-ss", str(start), "-to", str(end)]
    args += ["-i", str(media), "-af", f"bandpass=f={hz}:width_type=h:w=40,bandpass=f={hz}"]
    args[-1] += ":width_type=h:w=40,astats=measure_perchannel=0:measure_overall=RMS_level"
    done = subprocess.run([*args, "-f", "null", "-"], capture_output=True, text=True, check=True)
    [level] = [line for line in done.stderr.splitlines() if "RMS level dB" in line]
    return float(level.split(":")[-1])


def test_the_music_is_ducked_while_the_voice_speaks(tmp_path: Path) -> None:
    """A 1 kHz 'voice' from 1.0 to 2.5 s over a 200 Hz 'music' bed: the bed drops."""
    voice = tmp_path / "voice.wav"
    source = "aevalsrc='0.5*sin(2*PI*1000*t)*between(t,1,2.5)':s=22050:d=4"
    ffmpeg("-f", "lavfi", "-i", source, str(voice))
    music = tmp_path / "music.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=200:duration=4", "-c:a", "aac", str(music))
    spoken = Narration(path=voice, cues=[Cue(start=1.0, end=2.5, text="Tone.")], duration=4.0)
    assets = Assets(backgrounds=[], music=music, generated=True)
    rendered = render_video(spoken, assets, (64, 64), tmp_path / "v.mp4", preset="ultrafast")

    alone = band_level(rendered.path, 0.2, 0.9, 200)
    under_voice = band_level(rendered.path, 1.4, 2.3, 200)
    assert alone > -40, "the music is there"
    assert under_voice < alone - 6, (alone, under_voice)


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 64 KiB tmpfs: a disk that fills in the middle of the render's trailer."""
    mount = tmp_path / "full"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_disk_that_fills_is_named_as_the_hosts_fault_not_a_bad_render(
    narration: Narration, full_disk: Path
) -> None:
    """ffmpeg exits 0 when the disk fills on its trailer; the render says so instead of
    blaming an unreadable file, and leaves no partial video behind."""
    out = full_disk / "video.mp4"
    backgrounds = Assets(backgrounds=[], music=None, generated=True)
    with pytest.raises(MachineError, match=r"is full: ffmpeg: .*No space left on device"):
        render_video(narration, backgrounds, (640, 1136), out, preset="ultrafast")
    assert list(full_disk.iterdir()) == []
