"""Picking backgrounds and music from a library folder by the script's words."""

from __future__ import annotations

from pathlib import Path

from flows.video.assets import MAX_BACKGROUNDS, pick_assets


def library(root: Path, names: list[str]) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    return root


def test_empty_or_missing_library_means_a_generated_background(tmp_path: Path) -> None:
    for lib in (None, tmp_path / "missing", library(tmp_path / "empty", [])):
        assets = pick_assets(lib, ["ocean"], [], seed="k")
        assert assets.generated and assets.backgrounds == [] and assets.music is None
    only_music = library(tmp_path / "music-only", ["music/calm.mp3"])
    assets = pick_assets(only_music, ["ocean"], [], seed="k")
    assert assets.generated and assets.music == only_music / "music/calm.mp3"


def test_the_best_matching_clips_come_first_by_folder_and_file_words(tmp_path: Path) -> None:
    root = library(
        tmp_path,
        [
            "nature/ocean-waves.mp4",
            "nature/Forest_Path.MOV",
            "city/night-traffic.mp4",
            "space/galaxy.jpg",
            "space/stars-timelapse.webm",
            "music/space-ambient.m4a",
            "music/upbeat.mp3",
            ".hidden/ocean-secret.mp4",
            "notes.txt",
        ],
    )
    assets = pick_assets(root, ["Waves on the ocean", "deep space"], ["Nature"], seed="k")
    names = [p.relative_to(root).as_posix() for p in assets.backgrounds]
    assert names[0] == "nature/ocean-waves.mp4"  # ocean + wave(s) + nature
    assert set(names[1:3]) == {"nature/Forest_Path.MOV", "space/stars-timelapse.webm"}
    assert "space/galaxy.jpg" in names  # a still, after clips of the same score
    assert names.index("space/galaxy.jpg") > names.index("space/stars-timelapse.webm")
    assert len(names) == MAX_BACKGROUNDS and not assets.generated
    assert all(".hidden" not in n and not n.endswith(".txt") for n in names)
    assert assets.music == root / "music/space-ambient.m4a"


def test_the_pick_is_the_same_for_a_job_and_varies_between_jobs(tmp_path: Path) -> None:
    root = library(tmp_path, [f"clips/clip-{i:02d}.mp4" for i in range(20)])
    first = pick_assets(root, ["unrelated"], [], seed="job-a")
    assert pick_assets(root, ["unrelated"], [], seed="job-a") == first
    others = {
        tuple(pick_assets(root, ["unrelated"], [], seed=f"job-{i}").backgrounds) for i in range(5)
    }
    assert len(others) > 1


def test_search_terms_never_build_a_path(tmp_path: Path) -> None:
    root = library(tmp_path / "lib", ["a/clip.mp4"])
    library(tmp_path, ["secret/passwords.mp4"])
    assets = pick_assets(root, ["../secret/passwords", "/etc/passwd"], ["../../"], seed="k")
    assert assets.backgrounds == [root / "a/clip.mp4"]
