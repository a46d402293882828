"""What a re-run of a video job may reuse: the stages' cache keys, where their results
and files live, and whether a cached result can still be trusted.

A stage's cache key (`stage_cache`) is Prefect's INPUTS (less what must not decide it:
the engine, blocks, block names, the run's id) + TASK_SOURCE + the source of the domain
modules doing the work (`ModuleSource`): a fix in the renderer renders again, where
TASK_SOURCE alone sees only the task's few lines. Results are persisted under
`data_dir()/results`; a job's media under `data_dir()/videos/<first 12 hex of its key>/`.
A cached result naming a file that is gone is not trusted (`missing_files`).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from prefect.cache_policies import TASK_SOURCE, CachePolicy, Inputs
from prefect.utilities.hashing import hash_objects
from pydantic import BaseModel

from flows.common.paths import data_dir
from flows.video.request import VideoRequest

RESULTS = "results"  # data_dir()/results: the persisted stage results (the cache)
VIDEOS = "videos"  # data_dir()/videos/<job key's first 12 hex>/: one job's media


@cache
def _module_text(name: str) -> str:
    return inspect.getsource(importlib.import_module(name))


@dataclass
class ModuleSource(CachePolicy):
    """The source of the domain modules a stage calls: a fix in the renderer renders
    again, where TASK_SOURCE alone sees only the task's few lines."""

    modules: tuple[str, ...] = field(default_factory=tuple)

    def compute_key(self, task_ctx, inputs, flow_parameters, **kwargs) -> str | None:
        return hash_objects(*(_module_text(m) for m in self.modules), raise_on_failure=True)


def stage_cache(*modules: str, exclude: tuple[str, ...] = ()) -> CachePolicy:
    """INPUTS (minus what must not decide: engines, blocks, names) + TASK_SOURCE +
    the domain modules' source."""
    policy = Inputs(exclude=["engine", "flow_run_id", *exclude]) + TASK_SOURCE
    return policy + ModuleSource(modules=modules) if modules else policy


def job_key(request: VideoRequest, render_size: tuple[int, int] | None = None) -> str:
    """The job's identity: the request's, or for a frame size of its own (a preview) a
    job of its own, so a preview's upload never stands in for the real video's."""
    key = request.job_key()
    if render_size is None or tuple(render_size) == request.size:
        return key
    width, height = render_size
    return hashlib.sha256(f"{key}:{width}x{height}".encode()).hexdigest()


def results_dir() -> Path:
    """Where the stage results are persisted: read when the run starts, so the data
    folder of the worker's host (AUTOMATIONS_DATA_DIR) decides, not the import."""
    return data_dir() / RESULTS


def job_dir(job_key: str) -> Path:
    return data_dir() / VIDEOS / job_key[:12]


def missing_files(value: Any) -> list[Path]:
    """The paths a stage's result names that are not on disk (models, lists, dicts)."""
    if isinstance(value, Path):
        return [] if value.exists() else [value]
    if isinstance(value, BaseModel):
        value = [getattr(value, name) for name in type(value).model_fields]
    elif isinstance(value, dict):
        value = list(value.values())
    elif not isinstance(value, list | tuple):
        return []
    return [path for item in value for path in missing_files(item)]
