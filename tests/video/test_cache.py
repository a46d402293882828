"""What a re-run may reuse: job identity, the files a cached result names, and cache
keys that change with the code doing the work."""

from __future__ import annotations

from pathlib import Path

from prefect.cache_policies import TASK_SOURCE, Inputs

from flows.video.assets import Assets
from flows.video.cache import ModuleSource, job_key, missing_files, stage_cache
from flows.video.request import VideoRequest
from flows.video.voice import Cue, Narration


def test_a_preview_size_is_a_job_of_its_own():
    """A preview uploaded first must never stand in for the real video's upload."""
    request = VideoRequest(topic="Why cats purr")
    assert job_key(request) == job_key(request, (1080, 1920)) == request.job_key()
    assert job_key(request, (180, 320)) != request.job_key()


def test_the_files_a_cached_result_names_are_checked_everywhere_in_it(tmp_path: Path):
    wav, clip = tmp_path / "narration.wav", tmp_path / "clip.mp4"
    wav.write_bytes(b"RIFF")
    narration = Narration(path=wav, cues=[Cue(start=0, end=1, text="Hi.")], duration=1.0)
    assets = Assets(backgrounds=[clip], music=None, generated=False)
    assert missing_files(narration) == []
    assert missing_files(assets) == [clip]
    assert missing_files({"a": [narration, assets], "b": "not a path"}) == [clip]
    assert missing_files("text") == missing_files(None) == []


def test_a_stage_key_changes_with_its_modules_and_ignores_engines_and_blocks():
    render = ModuleSource(modules=("flows.video.render",))
    voice = ModuleSource(modules=("flows.video.voice",))
    assert render.compute_key(None, {}, {}) == render.compute_key(None, {}, {})
    assert render.compute_key(None, {}, {}) != voice.compute_key(None, {}, {})
    policies = stage_cache("flows.video.render", exclude=("channel",)).policies
    [inputs] = [p for p in policies if isinstance(p, Inputs)]
    assert set(inputs.exclude) == {"engine", "flow_run_id", "channel"}
    assert TASK_SOURCE in policies and any(isinstance(p, ModuleSource) for p in policies)
