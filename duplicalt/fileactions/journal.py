"""The backup manifest: an append-only, fsynced journal kept in the backup root.

One JSON object per line. A file's record is written (and fsynced) *before*
it is touched and another *after*, so an interrupted batch can be recognised
and finished or rolled back (see recovery.py). Records:

    batch     {"t","batch","time","root","mode"}        a batch starts ("move" | "trash")
    move      {"t","batch","seq","src","dst","tmp","rel","size","mtime_ns","sha256"}
    trash     same without dst/tmp
    moved / trashed / unmoved {"t","batch","seq"[,"how"|"reason"]}
    restore   {"t","batch","seq","tmp"}   restored / unrestored {"t","batch","seq"[,"reason"]}
    end       {"t","batch"[,"recovered"]}

Paths that are not valid UTF-8 survive as JSON "\\udcXX" escapes (surrogateescape).
A torn last line (crash mid-write) is ignored; the next writer starts a new line.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from duplicalt.fileactions.safeio import describe, fsync_dir, show, write_all
from duplicalt.photos.types import BACKUP_MARKER

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no inter-process lock
    fcntl = None

JOURNAL_NAME = ".duplicalt-journal.jsonl"
LOCK_NAME = ".duplicalt-lock"
PART_PREFIX = ".duplicalt-part-"  # temporary copies, always ours to delete
FORMAT = 1

MOVING, BACKED_UP, NOT_MOVED = "moving", "backed-up", "not-moved"
TRASHING, TRASHED = "trashing", "trashed"
RESTORING, RESTORED = "restoring", "restored"
PENDING = frozenset({MOVING, TRASHING, RESTORING})
_AFTER = {"moved": BACKED_UP, "trashed": TRASHED, "unmoved": NOT_MOVED,
          "restore": RESTORING, "restored": RESTORED, "unrestored": BACKED_UP}


class JournalError(Exception):
    """The journal cannot be used; the message is user-facing."""


class JournalBusy(JournalError):
    """Another DuplicAlt process is working on this backup folder."""


@dataclass(frozen=True)
class BackupEntry:
    batch: str
    seq: int
    original: Path
    backup: Path | None  # None for a file sent to the trash
    rel: str
    size: int
    mtime_ns: int
    sha256: str
    state: str  # MOVING, BACKED_UP, NOT_MOVED, TRASHING, TRASHED, RESTORING, RESTORED
    note: str = ""
    tmp: Path | None = None  # temporary copy of a pending move or restore


@dataclass(frozen=True)
class BackupBatch:
    id: str
    started: str  # local time, "YYYY-MM-DD HH:MM:SS"
    root: Path  # the scanned folder
    mode: str  # "move" or "trash"
    complete: bool  # False: interrupted, recover() has not finished it yet
    entries: tuple[BackupEntry, ...]


def new_batch_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def is_backup_root(path: Path) -> bool:
    return os.path.isfile(Path(path) / BACKUP_MARKER)


def mark_backup_root(path: Path) -> None:
    """Create the marker file (durably) so scans skip this folder."""
    marker = Path(path) / BACKUP_MARKER
    if os.path.lexists(marker):
        return
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        write_all(fd, json.dumps({"app": "duplicalt", "format": FORMAT}).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(Path(path))


class Journal:
    """The exclusive writer of a backup root's journal; use as a context manager."""

    def __init__(self, backup_root: Path) -> None:
        self.root = Path(backup_root)
        self._fd = self._lock = -1
        self._torn = False

    def __enter__(self) -> Journal:
        try:
            self._lock = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise JournalError(f"cannot write to the backup folder {show(self.root)}: "
                               f"{describe(exc)}") from None
        if fcntl is not None:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self._lock)
                raise JournalBusy(f"another DuplicAlt process is using {show(self.root)}; "
                                  "try again when it has finished") from None
        try:
            self._open()
        except OSError as exc:
            os.close(self._lock)
            raise JournalError(f"cannot write the journal in {show(self.root)}: "
                               f"{describe(exc)}") from None
        return self

    def _open(self) -> None:
        path = self.root / JOURNAL_NAME
        existed = os.path.lexists(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            fsync_dir(self.root)
        with open(path, "rb") as f:  # a torn last line (crash mid-write) needs a newline
            size = f.seek(0, os.SEEK_END)
            self._torn = size > 0 and f.seek(size - 1) >= 0 and f.read(1) != b"\n"

    def append(self, record: dict) -> None:
        """Append one record and fsync it; raises OSError (e.g. disk full)."""
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        data = ("\n" if self._torn else "").encode() + line.encode("ascii")
        self._torn = True  # until the whole line is known to be written
        write_all(self._fd, data)
        os.fsync(self._fd)
        self._torn = False

    def __exit__(self, *exc) -> None:
        for fd in (self._fd, self._lock):
            if fd >= 0:
                os.close(fd)
        self._fd = self._lock = -1


def read_records(backup_root: Path) -> list[dict]:
    """All intact records of the journal (torn or foreign lines are skipped)."""
    try:
        with open(Path(backup_root) / JOURNAL_NAME, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.split(b"\n"):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("t"), str):
            records.append(rec)
    return records


def _entry(rec: dict, state: str) -> BackupEntry:
    dst, tmp = rec.get("dst"), rec.get("tmp")
    return BackupEntry(batch=rec["batch"], seq=int(rec["seq"]), original=Path(rec["src"]),
                       backup=Path(dst) if dst else None, rel=rec.get("rel", ""),
                       size=int(rec["size"]), mtime_ns=int(rec["mtime_ns"]),
                       sha256=rec["sha256"], state=state, tmp=Path(tmp) if tmp else None)


def _apply(entries: dict, rec: dict) -> None:
    t, key = rec["t"], (rec.get("batch"), rec.get("seq"))
    if t in ("move", "trash"):
        entries[key] = _entry(rec, MOVING if t == "move" else TRASHING)
    elif t in _AFTER and key in entries:
        tmp = Path(rec["tmp"]) if rec.get("tmp") else None
        entries[key] = replace(entries[key], state=_AFTER[t], note=rec.get("reason", ""),
                               tmp=tmp)


def replay(records: list[dict]) -> tuple[BackupBatch, ...]:
    """The state of every batch and entry after the given records, oldest first."""
    heads: dict[str, dict] = {}
    ended: set[str] = set()
    entries: dict[tuple, BackupEntry] = {}
    for rec in records:
        try:
            if rec["t"] == "batch":
                heads[rec["batch"]] = rec
            elif rec["t"] == "end":
                ended.add(rec["batch"])
            else:
                _apply(entries, rec)
        except (KeyError, TypeError, ValueError):
            continue  # a damaged record: ignore it, never guess
    by_batch: dict[str, list[BackupEntry]] = {b: [] for b in heads}
    for (b, _), e in entries.items():
        by_batch.setdefault(b, []).append(e)
    return tuple(
        BackupBatch(id=b, started=h.get("time", ""), root=Path(h.get("root", "")),
                    mode=h.get("mode", "move"),
                    complete=b in ended and not any(e.state in PENDING for e in by_batch[b]),
                    entries=tuple(sorted(by_batch[b], key=lambda e: e.seq)))
        for b, h in heads.items())


def list_backups(backup_root: Path) -> tuple[BackupBatch, ...]:
    """Every batch recorded in a backup folder, oldest first (for the restore UI)."""
    return replay(read_records(backup_root))


def needs_recovery(backup_root: Path) -> bool:
    """True when an interrupted batch waits for recover() (cheap; for app start)."""
    return any(not b.complete for b in list_backups(backup_root))
