"""Putting backed-up photos back at their original paths, from the manifest.

Works in any later process (the journal is the only state). Never overwrites:
a file that now exists at the original path is reported and left alone, and
the backup copy stays. A backup copy whose sha256 no longer matches the one
recorded when it was moved is not restored either.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.types import Cancel, Outcome, Progress, RestoreReport
from duplicalt.fileactions.backuproot import BackupRootError, planted_link
from duplicalt.fileactions.recovery import recover
from duplicalt.fileactions.safeio import (Changed, Refused, check_no_links, describe,
                                          lstat_or_none, sha256_file, show, transfer)

READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)  # the backup cannot be written


def _matches(e: mf.BackupEntry, patterns: Sequence[str]) -> bool:
    """An entry matches a relative or absolute path, a folder above it, or a glob."""
    names = (e.rel, str(e.original))
    for raw in patterns:
        p = raw.rstrip("/" + os.sep) or raw
        for name in names:
            if name == p or fnmatch.fnmatchcase(name, p) or name.startswith(p + "/") \
                    or name.startswith(p + os.sep):
                return True
    return False


def select_entries(backup_root: Path, only: Sequence[str] | None = None,
                   batch: str | None = None) -> list[tuple[mf.BackupBatch, mf.BackupEntry]]:
    """Entries now in the backup (restorable), filtered by ``only`` patterns and a
    batch id (or its prefix)."""
    out = []
    for b in mf.list_backups(backup_root):
        if batch and not b.id.startswith(batch):
            continue
        out.extend((b, e) for e in b.entries
                   if e.state == mf.BACKED_UP and (not only or _matches(e, only)))
    return out


def _check(backup: Path, b: mf.BackupBatch, e: mf.BackupEntry) -> os.stat_result:
    """The backup copy's lstat if it may be restored; Refused (skip) or OSError (fail)."""
    check_no_links(backup, e.backup, "backup folder")
    st = lstat_or_none(e.backup)
    if st is None or not stat.S_ISREG(st.st_mode):
        raise FileNotFoundError(2, f"the backup copy {show(e.backup)} is missing")
    if not os.path.isdir(b.root):
        raise Refused(f"the scanned folder {show(b.root)} is not available")
    check_no_links(b.root, e.original, "scanned folder")
    if os.path.lexists(e.original):
        raise Refused("a file now exists at the original path; not overwritten")
    if sha256_file(e.backup) != e.sha256:
        raise OSError(0, "the backup copy differs from the original (sha256); not restored")
    return st


def _restore_one(j: mf.Journal | None, backup: Path, b: mf.BackupBatch, e: mf.BackupEntry,
                 force_copy: bool) -> tuple[str, Outcome]:
    """Restore one entry; ``j`` None: the backup is read-only, the photo is copied back
    and the backup keeps its copy (nothing can be journalled there)."""
    try:
        st = _check(backup, b, e)
    except Refused as exc:
        return "skipped", Outcome(e.original, str(exc), e.backup)
    except OSError as exc:
        return "failed", Outcome(e.original, exc.strerror or describe(exc), e.backup)
    tmp = e.original.parent / mf.part_name(e.batch, e.seq)
    key = {"batch": e.batch, "seq": e.seq}
    try:
        if j is not None:
            j.append({"t": "restore", **key, "tmp": str(tmp)})
        transfer(e.backup, e.original, tmp, e.sha256, (st.st_size, st.st_mtime_ns), force_copy,
                 keep_source=j is None)
    except FileExistsError:
        _note(j, {"t": "unrestored", **key, "reason": "a file now exists at the original path"})
        return "skipped", Outcome(e.original, "a file now exists at the original path; "
                                              "not overwritten", e.backup)
    except (OSError, Changed, Refused) as exc:
        reason = describe(exc) if isinstance(exc, OSError) else str(exc)
        _note(j, {"t": "unrestored", **key, "reason": reason})
        return "failed", Outcome(e.original, reason, e.backup)
    _note(j, {"t": "restored", **key})
    return "restored", Outcome(e.original, "", e.backup)


def _note(j: mf.Journal | None, record: dict) -> None:
    try:
        if j is not None:
            j.append(record)
    except OSError:
        pass  # recovery reconciles the journal at the next start


def _dry_restore(backup: Path, chosen: list) -> RestoreReport:
    out: dict[str, list[Outcome]] = {"restored": [], "skipped": [], "failed": []}
    for b, e in chosen:
        try:
            _check(backup, b, e)
            out["restored"].append(Outcome(e.original, "", e.backup))
        except Refused as exc:
            out["skipped"].append(Outcome(e.original, str(exc), e.backup))
        except OSError as exc:
            out["failed"].append(Outcome(e.original, exc.strerror or describe(exc), e.backup))
    return RestoreReport(tuple(out["restored"]), tuple(out["skipped"]), tuple(out["failed"]),
                         dry_run=True)


def _restore_all(j: mf.Journal | None, backup: Path, only, batch, force_copy: bool,
                 progress: Progress | None, cancel: Cancel | None) -> dict:
    out: dict[str, list[Outcome]] = {"restored": [], "skipped": [], "failed": []}
    chosen = select_entries(backup, only, batch)  # under the lock
    for i, (b, e) in enumerate(chosen):
        if cancel is not None and cancel():
            out["skipped"].append(Outcome(e.original, "cancelled", e.backup))
            continue
        kind, outcome = _restore_one(j, backup, b, e, force_copy)
        out[kind].append(outcome)
        if progress is not None:
            progress(i + 1, len(chosen))
    return out


def trashed_count(backup: Path, only: Sequence[str] | None, batch: str | None) -> int:
    """How many matching files were sent to the system trash (not restorable from here)."""
    return sum(1 for b in mf.list_backups(backup) if not batch or b.id.startswith(batch)
               for e in b.entries if e.state == mf.TRASHED and (not only or _matches(e, only)))


def restore(backup_root: Path, *, only: Sequence[str] | None = None, batch: str | None = None,
            dry_run: bool = False, force_copy: bool = False,
            progress: Progress | None = None, cancel: Cancel | None = None) -> RestoreReport:
    """Put backed-up photos back at their original paths (all, or those matching
    ``only`` / ``batch``). Interrupted batches are recovered first (not in a dry run).
    A read-only backup (a write-protected disk) is restored from by copying: it keeps
    its copies, and nothing is recorded in it.

    Raises BackupRootError when ``backup_root`` is not a DuplicAlt backup folder.
    """
    backup = Path(os.path.realpath(backup_root))
    if not mf.is_backup_root(backup):
        raise BackupRootError(f"{show(backup_root)} is not a DuplicAlt backup folder "
                              f"(no {mf.BACKUP_MARKER} file)")
    link = planted_link(backup)
    if link is not None:
        raise BackupRootError(f"{show(backup_root)} holds a symlink ({show(link)}); "
                              "DuplicAlt never makes one there: remove it first")
    trashed = trashed_count(backup, only, batch)
    if dry_run:
        return replace(_dry_restore(backup, select_entries(backup, only, batch)), trashed=trashed)
    recovery, read_only = None, False
    try:
        recovery = recover(backup)
        with mf.Journal(backup) as j:
            out = _restore_all(j, backup, only, batch, force_copy, progress, cancel)
    except mf.JournalError as exc:
        if exc.errno not in READ_ONLY:
            raise
        read_only = True
        out = _restore_all(None, backup, only, batch, force_copy, progress, cancel)
    return RestoreReport(tuple(out["restored"]), tuple(out["skipped"]), tuple(out["failed"]),
                         recovery=recovery, read_only=read_only, trashed=trashed)
