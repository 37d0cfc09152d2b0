"""Helpers for the apply/restore tests: photo trees, decisions files, disk snapshots."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from duplicalt.fileactions.journal import BACKUP_MARKER, JOURNAL_NAME, LOCK_NAME
from duplicalt.review.seal import seal

JOURNAL_FILES = {BACKUP_MARKER, JOURNAL_NAME, LOCK_NAME}
JPEG_HEAD = b"\xff\xd8\xff\xe0"


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_files(root: Path, rels: list[str], size: int = 3000, seed: int = 0) -> dict[str, str]:
    """Files with distinct random content after a JPEG signature; {rel: sha256}."""
    out = {}
    for i, rel in enumerate(rels):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        body = hashlib.sha256(f"{seed}-{i}".encode()).digest() * (size // 32 + 1)
        p.write_bytes(JPEG_HEAD + body)  # a photo by its first bytes, as a scan lists
        out[rel] = sha(p)
    return out


def file_shas(folder: Path, skip_journal: bool = True) -> dict[str, str]:
    """{relative path: sha256} of every regular file below folder (bytes paths kept)."""
    out = {}
    for dirpath, _, names in os.walk(os.fsencode(folder)):
        for name in names:
            p = Path(os.fsdecode(os.path.join(dirpath, name)))
            if skip_journal and name.decode(errors="replace") in JOURNAL_FILES:
                continue
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(folder).as_posix()] = sha(p)
    return out


def file_dict(root: Path, rel: str, suggested: bool = False, action: str | None = None,
              width: int = 640, height: int = 480) -> dict:
    p = root / rel
    st = p.lstat()
    d = {"path": os.fsdecode(p), "rel": rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
         "similarity": 1.0, "width": width, "height": height, "format": "JPEG",
         "taken": None, "suggested": suggested, "reason": "highest resolution" if suggested else ""}
    if action:
        d["action"] = action
    return d


def decisions(root: Path, groups: list[list[dict]], tier: str = "similar") -> dict:
    """A decisions document shaped like `duplicalt scan --json` output."""
    return {"version": 1, "root": os.fsdecode(root), "threshold": 0.9, "model": "sha256-test",
            "groups": [{"id": i + 1, "tier": tier, "files": files, "pairs": []}
                       for i, files in enumerate(groups)],
            "unreadable": [], "links": []}


def write_json(path: Path, doc: dict, sealed: bool = True) -> Path:
    """Write ``doc`` as `duplicalt scan --json` would: sealed by this user's key."""
    if sealed:
        doc = {**doc, "seal": seal(doc)}
    path.write_text(json.dumps(doc, indent=1), encoding="ascii")
    return path


@contextmanager
def tmpfs(mountpoint: Path, size: str = "1m", readonly: bool = False):
    """Mount a small tmpfs (root only); yields False when mounting is not possible."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    try:
        ok = os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mountpoint)],
            capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=10)
