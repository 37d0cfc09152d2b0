"""What may be opened as the cache: a DuplicAlt cache, an empty file or nothing.
Anything else at the cache path (a folder, a link, a photo, another program's
database) is recognised here and left untouched by photos.cache."""
from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

APP_ID = 0x44504C54  # PRAGMA application_id of a DuplicAlt cache ("DPLT")
_SQLITE_HEAD = b"SQLite format 3\x00"


def foreign(path: Path) -> str:
    """Why ``path`` must not be opened as (or replaced by) a cache; "" when it may."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ""
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symlink"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a file"
    if st.st_size:
        with open(path, "rb") as f:
            if f.read(16) != _SQLITE_HEAD:
                return f"{path} is not a DuplicAlt cache (not an SQLite file)"
    return ""


def app_id(path: Path) -> int:
    """The application_id in an SQLite file's header (readable even when damaged)."""
    try:
        with open(path, "rb") as f:
            head = f.read(72)
    except OSError:
        return 0
    return int.from_bytes(head[68:72], "big") if len(head) == 72 else 0


class ForeignDatabase(Exception):
    """An intact SQLite database that is not a DuplicAlt cache."""


def check_ours(db: sqlite3.Connection) -> None:
    """Raise ForeignDatabase (closing ``db``) for an SQLite database with tables
    that is not ours; an empty database or one of ours passes."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables or db.execute("PRAGMA application_id").fetchone()[0] == APP_ID:
        return
    if "meta" in tables and db.execute(
            "SELECT 1 FROM meta WHERE key='schema'").fetchone() is not None:
        return  # a cache written before application_id was set
    db.close()
    raise ForeignDatabase()
