"""The scan's seal on its JSON output, so a decisions file cannot widen what apply moves.

``duplicalt scan --json`` (and the window's export) write a ``"seal"``: an
HMAC-SHA256, under a key kept in this user's data folder, of the scanned
folders and of every grouped file's path, size and modification time. The
user may add ``"action"`` marks (they are not sealed), but a file whose
folders, paths, sizes or times were edited, or files added to a group, no
longer match, and ``apply`` refuses it: it moves only files that this user's
own scan listed in a group. A decisions file written by hand carries no seal
and is applied only when asked for explicitly (``apply --unsealed``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

SEAL_VERSION = 1
KEY_BYTES = 32


def key_path() -> Path:
    return Path(user_data_dir("duplicalt", appauthor=False)) / "scan-seal.key"


def _key(create: bool) -> bytes | None:
    path = key_path()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
        except FileExistsError:  # another scan made it first
            return _key(create=False)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
        return _key(create=False)
    with os.fdopen(fd, "rb") as f:
        data = f.read(KEY_BYTES + 1)
    return data if len(data) == KEY_BYTES else None


def _sealed_part(doc: dict) -> bytes:
    """What the seal covers, in one canonical spelling."""
    groups = []
    for g in doc.get("groups") or []:
        files = g.get("files") if isinstance(g, dict) else None
        groups.append([g.get("tier") if isinstance(g, dict) else None,
                       [[f.get("path"), f.get("rel"), f.get("size"), f.get("mtime_ns"),
                         f.get("root"), bool(f.get("reference"))]
                        if isinstance(f, dict) else f for f in (files or [])]])
    part = {"v": SEAL_VERSION, "root": doc.get("root"), "roots": doc.get("roots"),
            "reference": doc.get("reference"), "groups": groups}
    return json.dumps(part, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def seal(doc: dict) -> dict:
    """The ``"seal"`` entry for a scan's JSON document (creates the key on first use)."""
    key = _key(create=True)
    if key is None:
        raise OSError(f"the seal key {key_path()} is damaged")
    mac = hmac.new(key, _sealed_part(doc), hashlib.sha256).hexdigest()
    return {"version": SEAL_VERSION, "hmac-sha256": mac}


def seal_problem(doc: Any) -> str | None:
    """None when ``doc`` carries this user's valid seal, else why it cannot be trusted."""
    mark = doc.get("seal") if isinstance(doc, dict) else None
    if mark is None:
        return ("it carries no scan seal (it was not written by `duplicalt scan --json` or the "
                "window's export)")
    if not isinstance(mark, dict) or mark.get("version") != SEAL_VERSION \
            or not isinstance(mark.get("hmac-sha256"), str):
        return "its scan seal is malformed"
    key = _key(create=False)
    if key is None:
        return "its scan seal cannot be checked here (it was written by another user or machine)"
    want = hmac.new(key, _sealed_part(doc), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, mark["hmac-sha256"]):
        return ("its folders or grouped files were changed after the scan (the seal does not "
                "match)")
    return None
