"""The data directory and atomic writes into it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DATA_DIR_ENV = "AUTOMATIONS_DATA_DIR"


def data_dir() -> Path:
    """Root of all generated data and media.

    An environment variable rather than a block, because it is a property of the
    host a worker runs on, not of an external system. Relative paths resolve
    against the working directory, which `prefect.yaml`'s pull step sets to the
    project root.
    """
    return Path(os.environ.get(DATA_DIR_ENV, "data")).resolve()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
