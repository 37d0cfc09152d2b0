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

The journal is not trusted (docs/safety.md): list_backups() checks every path of
every record against its batch's root and the backup folder, and an entry that
points elsewhere is DAMAGED: shown, never acted on. The journal and its lock are
opened without following links; the lock is portalocker's (POSIX and Windows).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, replace
from pathlib import Path

from duplicalt.fileactions.locking import Busy, FileLock, open_plain
from duplicalt.fileactions.safeio import Refused, describe, fsync_dir, lstat_or_none, show, \
    write_all
from duplicalt.photos.types import BACKUP_MARKER

JOURNAL_NAME = ".duplicalt-journal.jsonl"
LOCK_NAME = ".duplicalt-lock"
PART_PREFIX = ".duplicalt-part-"  # temporary copies, always ours to delete
FORMAT = 1
_OURS = frozenset({BACKUP_MARKER, JOURNAL_NAME, LOCK_NAME})
_SAFE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")

MOVING, BACKED_UP, NOT_MOVED = "moving", "backed-up", "not-moved"
TRASHING, TRASHED = "trashing", "trashed"
RESTORING, RESTORED = "restoring", "restored"
DAMAGED = "damaged"  # a record whose paths point outside the scanned or backup folder
PENDING = frozenset({MOVING, TRASHING, RESTORING})
_AFTER = {"moved": BACKED_UP, "trashed": TRASHED, "unmoved": NOT_MOVED,
          "restore": RESTORING, "restored": RESTORED, "unrestored": BACKED_UP}


class JournalError(Exception):
    """The journal cannot be used; the message is user-facing (``errno``: the OS error's)."""

    errno: int | None = None


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
    """The folder holds the marker as a regular file (a symlinked marker does not count)."""
    st = lstat_or_none(Path(path) / BACKUP_MARKER)
    return st is not None and stat.S_ISREG(st.st_mode)


def mark_backup_root(path: Path) -> None:
    """Create the marker file (durably) so scans skip this folder."""
    marker = Path(path) / BACKUP_MARKER
    if os.path.lexists(marker):
        return
    fd = open_plain(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
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
        self._fd = -1
        self._lock: FileLock | None = None
        self._torn = False

    def __enter__(self) -> Journal:
        lock = FileLock(self.root / LOCK_NAME)
        try:
            lock.acquire()
        except Busy:
            raise JournalBusy(f"another DuplicAlt process is using {show(self.root)}; "
                              "try again when it has finished") from None
        except Refused as exc:
            raise JournalError(f"the backup folder's lock file cannot be used: {exc}") from None
        except OSError as exc:
            err = JournalError(f"cannot write to the backup folder {show(self.root)}: "
                               f"{describe(exc)}")
            err.errno = exc.errno
            raise err from None
        self._lock = lock
        try:
            self._open()
        except (OSError, Refused) as exc:
            lock.release()
            self._lock = None
            why = describe(exc) if isinstance(exc, OSError) else str(exc)
            raise JournalError(f"cannot write the journal in {show(self.root)}: {why}") from None
        return self

    def _open(self) -> None:
        path = self.root / JOURNAL_NAME
        existed = os.path.lexists(path)
        self._fd = open_plain(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        if not existed:
            fsync_dir(self.root)
        size = os.lseek(self._fd, 0, os.SEEK_END)  # a torn last line (crash mid-write)
        self._torn = size > 0 and os.lseek(self._fd, size - 1, os.SEEK_SET) >= 0 \
            and os.read(self._fd, 1) != b"\n"  # O_APPEND: writes still go to the end

    def append(self, record: dict) -> None:
        """Append one record and fsync it; raises OSError (e.g. disk full)."""
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        data = ("\n" if self._torn else "").encode() + line.encode("ascii")
        self._torn = True  # until the whole line is known to be written
        write_all(self._fd, data)
        os.fsync(self._fd)
        self._torn = False

    def __exit__(self, *exc) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def read_records(backup_root: Path) -> list[dict]:
    """All intact records of the journal (torn or foreign lines are skipped)."""
    try:
        fd = open_plain(Path(backup_root) / JOURNAL_NAME, os.O_RDONLY)
    except FileNotFoundError:
        return []
    except Refused as exc:
        raise JournalError(f"the journal cannot be used: {exc}") from None
    with os.fdopen(fd, "rb") as f:
        raw = f.read()
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


def _clean(path: Path | None) -> bool:
    text = os.fspath(path) if path is not None else ""
    return bool(text) and "\x00" not in text and os.path.isabs(text) \
        and os.path.normpath(text) == text and ".." not in Path(text).parts


def _below(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents


def part_name(batch: str, seq: int) -> str:
    """The name of the temporary copy of one file of a batch."""
    return f"{PART_PREFIX}{batch}-{seq}"


def untrusted(e: BackupEntry, root: Path, backup: Path, mode: str = "move") -> str:
    """Why a journal entry's paths cannot be trusted ("" when they can): the original
    must lie in the batch's scanned folder and outside the backup, the backup copy in
    the backup folder, a temporary copy exactly where DuplicAlt puts it."""
    if not _clean(root) or not _SAFE_ID.fullmatch(e.batch):
        return "the batch record is malformed"
    if not _clean(e.original) or not _below(e.original, root) or _below(e.original, backup):
        return f"its original path {show(e.original)} is not inside the scanned folder"
    if e.backup is not None and (not _clean(e.backup) or not _below(e.backup, backup)
                                 or e.backup.name in _OURS
                                 or e.backup.name.startswith(PART_PREFIX)):
        return f"its backup path {show(e.backup)} is not a file inside the backup folder"
    if e.tmp is not None and e.tmp not in (backup / part_name(e.batch, e.seq),
                                           e.original.parent / part_name(e.batch, e.seq)):
        return f"its temporary path {show(e.tmp)} is not one DuplicAlt uses"
    if (e.backup is None) != (mode == "trash"):
        return "a backup path where none belongs, or none where one does"
    return ""


def _vet(entry: BackupEntry, head: dict, backup: Path | None) -> BackupEntry:
    if backup is None:
        return entry
    why = untrusted(entry, Path(str(head.get("root", ""))), backup, head.get("mode", "move"))
    return replace(entry, state=DAMAGED, note=why, tmp=None) if why else entry


def replay(records: list[dict], backup: Path | None = None) -> tuple[BackupBatch, ...]:
    """The state of every batch and entry after the given records, oldest first.
    With ``backup`` (the backup folder's real path) every entry's paths are checked:
    an entry that points elsewhere is DAMAGED, and nothing is ever done with it."""
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
        if b in heads:
            by_batch[b].append(_vet(e, heads[b], backup))
    return tuple(
        BackupBatch(id=b, started=h.get("time", ""), root=Path(h.get("root", "")),
                    mode=h.get("mode", "move"),
                    complete=b in ended and not any(e.state in PENDING for e in by_batch[b]),
                    entries=tuple(sorted(by_batch[b], key=lambda e: e.seq)))
        for b, h in heads.items())


def list_backups(backup_root: Path) -> tuple[BackupBatch, ...]:
    """Every batch recorded in a backup folder, oldest first (for the restore UI)."""
    return replay(read_records(backup_root), Path(os.path.realpath(backup_root)))


def needs_recovery(backup_root: Path) -> bool:
    """True when an interrupted batch waits for recover() (cheap; for app start)."""
    return any(not b.complete for b in list_backups(backup_root))
