"""SQLite cache of embeddings and content hashes.

Keyed on (path, size, mtime_ns) plus the model's sha256 and a schema version,
written batch by batch as a scan goes, so a cancelled or crashed scan keeps its
work. A damaged cache file is moved aside and rebuilt, never fatal.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from duplicalt.photos.types import FileEntry, PhotoInfo

SCHEMA_VERSION = 3
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    path BLOB NOT NULL, model TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    vector BLOB, width INTEGER, height INTEGER, format TEXT, taken TEXT, error TEXT,
    PRIMARY KEY (path, model));
CREATE TABLE IF NOT EXISTS verified (
    a BLOB NOT NULL, b BLOB NOT NULL, verifier TEXT NOT NULL, sig TEXT NOT NULL, score INTEGER,
    PRIMARY KEY (a, b, verifier));
CREATE TABLE IF NOT EXISTS hashes (
    path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kinds (
    path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, kind TEXT NOT NULL);
"""


def default_cache_path() -> Path:
    override = os.environ.get("DUPLICALT_CACHE_DIR")
    if override:
        return Path(override) / "cache.sqlite"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("duplicalt", appauthor=False)) / "cache.sqlite"


def _key(path: Path) -> bytes:
    """Paths are stored as raw bytes: any file name, UTF-8 or not, round-trips."""
    return os.fsencode(path)


class Cache:
    """Open with ``Cache(path)``; ``Cache(None)`` is an in-memory cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rebuilt_reason: str | None = None
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._init(sqlite3.connect(":memory:", check_same_thread=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._init(sqlite3.connect(self.path, check_same_thread=False))
        except sqlite3.DatabaseError as exc:
            self.rebuilt_reason = f"cache was damaged ({exc}); rebuilt"
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            return self._init(sqlite3.connect(self.path, check_same_thread=False))

    @staticmethod
    def _init(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            db.executescript("DELETE FROM embeddings; DELETE FROM hashes; DELETE FROM verified; "
                             "DELETE FROM kinds;")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            db.commit()
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        return db

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, keys: Sequence[bytes], *extra: str) -> Iterable[tuple]:
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(sql.format(marks=marks), (*extra, *chunk))

    def get_embeddings(self, entries: Sequence[FileEntry], model: str
                       ) -> dict[int, tuple[np.ndarray | None, PhotoInfo | None, str | None]]:
        """Index in ``entries`` -> (vector, info, error) for every fresh cache hit
        (vectors as stored: float16, read-only)."""
        index = {_key(e.path): i for i, e in enumerate(entries)}
        sql = ("SELECT path, size, mtime_ns, vector, width, height, format, taken, error "
               "FROM embeddings WHERE model=? AND path IN ({marks})")
        hits = {}
        for path, size, mtime, blob, w, h, fmt, taken, error in self._rows(sql, list(index), model):
            i = index[path]
            if entries[i].size != size or entries[i].mtime_ns != mtime:
                continue
            vec = None if blob is None else np.frombuffer(blob, dtype=np.float16)
            info = None if w is None else PhotoInfo(w, h, fmt, taken)
            hits[i] = (vec, info, error)
        return hits

    def put_embeddings(self, rows: Sequence[tuple[FileEntry, np.ndarray | None,
                                                  PhotoInfo | None, str | None]],
                       model: str) -> None:
        data = []
        for entry, vec, info, error in rows:
            blob = None if vec is None else np.asarray(vec, np.float16).tobytes()
            data.append((_key(entry.path), model, entry.size, entry.mtime_ns, blob,
                         info and info.width, info and info.height, info and info.format,
                         info and info.taken, error))
        self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?,?,?,?,?,?,?,?)", data)
        self._db.commit()

    def get_hashes(self, entries: Sequence[FileEntry]) -> dict[int, str]:
        index = {_key(e.path): i for i, e in enumerate(entries)}
        sql = "SELECT path, size, mtime_ns, digest FROM hashes WHERE path IN ({marks})"
        hits = {}
        for path, size, mtime, digest in self._rows(sql, list(index)):
            i = index[path]
            if entries[i].size == size and entries[i].mtime_ns == mtime:
                hits[i] = digest
        return hits

    def put_hashes(self, rows: Sequence[tuple[FileEntry, str]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO hashes VALUES (?,?,?,?)",
                             [(_key(e.path), e.size, e.mtime_ns, d) for e, d in rows])
        self._db.commit()

    def get_kinds(self, root: Path) -> dict[bytes, tuple[int, int, str]]:
        """Recorded (size, mtime_ns, kind) of the files under ``root``, keyed like
        the cache ("" = read, not a photo): one range query, for walk(known=...)."""
        low = _key(Path(os.path.abspath(root))).rstrip(os.sep.encode()) + os.sep.encode()
        high = low[:-1] + bytes([low[-1] + 1])
        rows = self._db.execute("SELECT path, size, mtime_ns, kind FROM kinds "
                                "WHERE path >= ? AND path < ?", (low, high))
        return {path: (size, mtime, kind) for path, size, mtime, kind in rows}

    def put_kinds(self, rows: Sequence[tuple[Path, int, int, str]]) -> None:
        """Record what walk read (WalkResult.sniffed)."""
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO kinds VALUES (?,?,?,?)",
                                 [(_key(p), size, mtime, kind) for p, size, mtime, kind in rows])
            self._db.commit()

    @staticmethod
    def _sig(a: FileEntry, b: FileEntry) -> str:
        return f"{a.size}:{a.mtime_ns}:{b.size}:{b.mtime_ns}"

    def get_verified(self, pairs: Sequence[tuple[FileEntry, FileEntry]], verifier: str
                     ) -> dict[int, int]:
        """Index in ``pairs`` -> cached verifier score, for pairs whose files are unchanged."""
        hits = {}
        for k in range(0, len(pairs), _CHUNK):
            chunk = pairs[k:k + _CHUNK]
            cond = " OR ".join(["(a=? AND b=?)"] * len(chunk))
            args = [x for a, b in chunk for x in (_key(a.path), _key(b.path))]
            rows = self._db.execute(f"SELECT a, b, sig, score FROM verified WHERE verifier=? "
                                    f"AND ({cond})", (verifier, *args))
            found = {(ra, rb): (sig, score) for ra, rb, sig, score in rows}
            for n, (a, b) in enumerate(chunk):
                sig_score = found.get((_key(a.path), _key(b.path)))
                if sig_score and sig_score[0] == self._sig(a, b):
                    hits[k + n] = sig_score[1]
        return hits

    def put_verified(self, rows: Sequence[tuple[FileEntry, FileEntry, int]], verifier: str) -> None:
        self._db.executemany("INSERT OR REPLACE INTO verified VALUES (?,?,?,?,?)",
                             [(_key(a.path), _key(b.path), verifier, self._sig(a, b), s)
                              for a, b, s in rows])
        self._db.commit()
