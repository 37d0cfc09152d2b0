"""Where the shared training/benchmark data lives (never part of the repository).

``DUPLICALT_DATA`` names the folder holding ``train/`` and ``bench/``; without it
the first existing of ``<repo>/../shared/data`` and ``<cwd>/../shared/data`` is
used (a checkout beside the shared data, as on the project's machines).
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def data_root() -> Path:
    env = os.environ.get("DUPLICALT_DATA")
    if env:
        return Path(env).expanduser()
    candidates = [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def missing(path: Path, what: str, flag: str) -> str | None:
    """A user-facing reason when ``path`` (a folder of ``what``) is not there."""
    if Path(path).is_dir():
        return None
    return (f"{what} not found at {path}: pass {flag} FOLDER, or set DUPLICALT_DATA to the "
            f"folder that holds train/ and bench/")
