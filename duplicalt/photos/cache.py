"""SQLite cache of embeddings and content hashes.

Keyed on (path, size, mtime_ns, ctime_ns, inode) plus the model's sha256 and a
schema version, written batch by batch as a scan goes, so a cancelled or crashed
scan keeps its work. A photo rewritten in place with its size and mtime put back
still has a new ctime (and often a new inode): it is read again. Only failures
caused by the content are cached (not "permission denied", out of memory, I/O
errors or a vanished file). A damaged DuplicAlt cache is moved aside and
rebuilt, never fatal; anything else at the cache path (a folder, a photo,
another program's database, a link) is left untouched and the scan keeps its
cache in memory instead.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from duplicalt.photos.cache_file import APP_ID, ForeignDatabase, app_id, check_ours, foreign
from duplicalt.photos.types import FileEntry, PhotoInfo

SCHEMA_VERSION = 4  # 4: ctime_ns and inode in the keys
_CHUNK = 500
_TABLES = ("embeddings", "hashes", "verified", "kinds", "features")
# Failures that say nothing about the content: never cached, tried again next scan.
_TRANSIENT = ("permission denied", "vanished", "out of memory", "memoryerror", "[errno",
              "cannot read", "input/output error")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    path BLOB NOT NULL, model TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    vector BLOB, width INTEGER, height INTEGER, format TEXT, taken TEXT, error TEXT,
    ctime_ns INTEGER, ino INTEGER,
    PRIMARY KEY (path, model));
CREATE TABLE IF NOT EXISTS verified (
    a BLOB NOT NULL, b BLOB NOT NULL, verifier TEXT NOT NULL, sig TEXT NOT NULL, score INTEGER,
    PRIMARY KEY (a, b, verifier));
CREATE TABLE IF NOT EXISTS hashes (
    path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL,
    ctime_ns INTEGER, ino INTEGER);
CREATE TABLE IF NOT EXISTS features (
    path BLOB NOT NULL, verifier TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER, ino INTEGER, data BLOB NOT NULL, PRIMARY KEY (path, verifier));
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


def _stamp(path: Path) -> tuple[int | None, int | None]:
    """(ctime_ns, inode) of a file now: what changes when it is rewritten in place
    even with its size and mtime put back. (None, None) when it cannot be seen."""
    try:
        st = os.lstat(path)
    except (OSError, ValueError):
        return None, None
    return st.st_ctime_ns, st.st_ino


def content_failure(error: str | None) -> bool:
    """True when a failure is caused by the file's content (worth caching)."""
    text = (error or "").lower()
    return not any(word in text for word in _TRANSIENT)


class Cache:
    """Open with ``Cache(path)``; ``Cache(None)`` is an in-memory cache."""

    def __init__(self, path: Path | None, check: bool = True) -> None:
        """``check``: run SQLite's quick_check on opening (it reads the whole file:
        4.2 s for a 45k library's 427 MB cache from disk, 0.22 s from the page
        cache); a second connection to a cache the scan opened and checked in
        this session (the window's keeper worker) can skip it."""
        self.path = path
        self.check = check
        self.rebuilt_reason: str | None = None
        self._db = self._open()

    def _memory(self, why: str) -> sqlite3.Connection:
        self.rebuilt_reason = (f"{why}: left untouched; this scan's cache is kept in memory "
                               "only (choose another --cache file)")
        return self._init(sqlite3.connect(":memory:", check_same_thread=False))

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._init(sqlite3.connect(":memory:", check_same_thread=False))
        why = foreign(self.path)
        if why:
            return self._memory(why)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._init(sqlite3.connect(self.path, check_same_thread=False))
        except ForeignDatabase:
            return self._memory(f"{self.path} is another program's database")
        except sqlite3.DatabaseError as exc:
            if app_id(self.path) != APP_ID and self.path != default_cache_path():
                return self._memory(f"{self.path} is a damaged database that is not "
                                    "recognisably a DuplicAlt cache")
            self.rebuilt_reason = f"cache was damaged ({exc}); rebuilt"
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            return self._init(sqlite3.connect(self.path, check_same_thread=False))

    def _init(self, db: sqlite3.Connection) -> sqlite3.Connection:
        check_ours(db)  # before anything is written to it
        db.execute(f"PRAGMA application_id={APP_ID}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            db.executescript("".join(f"DROP TABLE IF EXISTS {t};" for t in _TABLES) + _SCHEMA)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            db.commit()
        if self.check and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
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
        sql = ("SELECT path, size, mtime_ns, vector, width, height, format, taken, error, "
               "ctime_ns, ino FROM embeddings WHERE model=? AND path IN ({marks})")
        hits = {}
        for path, size, mtime, blob, w, h, fmt, taken, error, ctime, ino in self._rows(
                sql, list(index), model):
            i = index[path]
            if (entries[i].size, entries[i].mtime_ns) != (size, mtime) \
                    or _stamp(entries[i].path) != (ctime, ino):
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
            if vec is None and not content_failure(error):
                continue  # e.g. permission denied: tried again at the next scan
            blob = None if vec is None else np.asarray(vec, np.float16).tobytes()
            data.append((_key(entry.path), model, entry.size, entry.mtime_ns, blob,
                         info and info.width, info and info.height, info and info.format,
                         info and info.taken, error, *_stamp(entry.path)))
        self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES "
                             "(?,?,?,?,?,?,?,?,?,?,?,?)", data)
        self._db.commit()

    def get_hashes(self, entries: Sequence[FileEntry]) -> dict[int, str]:
        index = {_key(e.path): i for i, e in enumerate(entries)}
        sql = ("SELECT path, size, mtime_ns, digest, ctime_ns, ino FROM hashes "
               "WHERE path IN ({marks})")
        hits = {}
        for path, size, mtime, digest, ctime, ino in self._rows(sql, list(index)):
            i = index[path]
            if (entries[i].size, entries[i].mtime_ns) == (size, mtime) \
                    and _stamp(entries[i].path) == (ctime, ino):
                hits[i] = digest
        return hits

    def put_hashes(self, rows: Sequence[tuple[FileEntry, str]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO hashes VALUES (?,?,?,?,?,?)",
                             [(_key(e.path), e.size, e.mtime_ns, d, *_stamp(e.path))
                              for e, d in rows])
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
        (ca, ia), (cb, ib) = _stamp(a.path), _stamp(b.path)
        return f"{a.size}:{a.mtime_ns}:{ca}:{ia}:{b.size}:{b.mtime_ns}:{cb}:{ib}"

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

    def get_features(self, entries: Sequence[FileEntry], verifier: str) -> dict[int, bytes]:
        """Index in ``entries`` -> a verifier's stored local features (its own
        bytes), for files unchanged since (keyed like embeddings)."""
        index = {_key(e.path): i for i, e in enumerate(entries)}
        sql = ("SELECT path, size, mtime_ns, ctime_ns, ino, data FROM features "
               "WHERE verifier=? AND path IN ({marks})")
        hits = {}
        for path, size, mtime, ctime, ino, data in self._rows(sql, list(index), verifier):
            i = index[path]
            if (entries[i].size, entries[i].mtime_ns) == (size, mtime) \
                    and _stamp(entries[i].path) == (ctime, ino):
                hits[i] = bytes(data)
        return hits

    def put_features(self, rows: Sequence[tuple[FileEntry, bytes]], verifier: str) -> None:
        """Store each photo's local features once (a pair then costs a match, not a decode)."""
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO features VALUES (?,?,?,?,?,?,?)",
                                 [(_key(e.path), verifier, e.size, e.mtime_ns, *_stamp(e.path),
                                   data) for e, data in rows])
            self._db.commit()
