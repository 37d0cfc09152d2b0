"""Moving rejected photos to a backup folder (or the trash), and restoring them.

Every file goes through the same steps: refuse anything unsafe (outside the
scanned folder, a symlink or through one, inside the backup folder, changed
or vanished since the scan), hash it, journal the intent, transfer it (see
safeio.transfer), journal the result. Problems are reported per file and the
batch keeps going. Interrupted batches are settled by recovery.recover(),
which move_to_backup() and restore() run first.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Iterable, Sequence

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.backuproot import (BackupRootError, check_backup_root, inside_backup,
                                              prepare_backup_root)
from duplicalt.fileactions.types import (Cancel, Candidate, FileLike, MoveReport, Outcome,
                                         Progress, RestoreReport)
from duplicalt.fileactions.locking import Busy, FileLock
from duplicalt.fileactions.recovery import recover
from duplicalt.fileactions.restore import restore, select_entries
from duplicalt.fileactions.safeio import (Changed, Refused, check_no_links, describe,
                                          is_file, lstat_or_none, sha256_file, show, transfer)

NAME_MAX = 255
FULL = ("disk full", "disk quota exceeded")  # describe()'s words: stop trying


def under_root(root: Path, path: Path, memo: dict | None = None) -> Path:
    """``path`` spelled below the real scanned folder ``root`` (its realpath).

    A scan through a symlinked folder (``~/Pictures`` -> ``/data/pics``) lists
    paths through the link while the root is resolved (or the other way round):
    the ancestor of ``path`` that is the scanned folder is found by its real
    path. Below it nothing is resolved: links there are refused later.
    """
    if "\x00" in os.fspath(path):
        raise Refused("its path holds a NUL character")
    path = Path(os.path.abspath(path))
    memo = {} if memo is None else memo
    for base in path.parents:
        if base == root:
            return path
        real = memo.get(base)
        if real is None:
            real = memo[base] = Path(os.path.realpath(base))
        if real == root:
            return root / path.relative_to(base)
    raise Refused(f"outside the scanned folder ({show(root)})")


def _inspect(root: Path, backup: Path, path: Path, f: FileLike) -> os.stat_result:
    """The source's lstat if it may be moved; raises Refused with the reason.
    ``path`` is already spelled below the real ``root`` (under_root)."""
    check_no_links(root, path, "scanned folder")
    if path.name.startswith(".duplicalt-"):
        raise Refused("one of DuplicAlt's own files (lock, journal, temporary copy)")
    if inside_backup(path, backup):
        raise Refused("inside the backup folder")
    st = lstat_or_none(path)
    if st is None:
        raise Refused("vanished since the scan")
    if stat.S_ISLNK(st.st_mode):
        raise Refused("is a symlink (links are never followed or moved)")
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not a regular file")
    if f.size is not None and st.st_size != f.size:
        raise Refused(f"changed since the scan (size {f.size} -> {st.st_size} bytes)")
    if f.mtime_ns is not None and st.st_mtime_ns != f.mtime_ns:
        raise Refused("changed since the scan (modification time differs)")
    if not os.access(path.parent, os.W_OK):
        raise Refused("its folder is read-only, so it cannot be moved out of it")
    return st


def numbered(path: Path, n: int) -> Path:
    """``a/x.jpg`` -> ``a/x (n).jpg``, shortening the stem to fit NAME_MAX bytes."""
    stem, suffix, tag = path.stem, path.suffix, f" ({n})"
    while stem and len(os.fsencode(stem + tag + suffix)) > NAME_MAX:
        stem = stem[:-1]
    return path.with_name(stem + tag + suffix)


def backup_target(backup: Path, rel: Path) -> Path:
    """A free path in the backup mirroring ``rel``; a clash gets " (n)", both kept."""
    target = backup.joinpath(rel)
    check_no_links(backup, target, "backup folder")
    n, candidate = 0, target
    while os.path.lexists(candidate):
        n += 1
        candidate = numbered(target, n)
    return candidate


def _note(j: mf.Journal, record: dict) -> bool:
    """Journal an outcome; a failure is tolerated (recovery reconciles it later)."""
    try:
        j.append(record)
        return True
    except OSError:
        return False


def _send_to_trash(path: Path) -> None:
    from send2trash import send2trash

    send2trash(os.fspath(path))


def _prepare(ctx: dict, seq: int, f: FileLike) -> dict:
    """The journal record for one file; raises Refused (skip) or OSError (fail)."""
    path = under_root(ctx["root"], Path(f.path), ctx["memo"])
    st = _inspect(ctx["root"], ctx["backup"], path, f)
    sha = sha256_file(path)
    same_as = getattr(f, "same_as", ())
    if same_as and sha not in {_sha_of(ctx["shas"], k) for k in same_as}:
        raise Refused("no longer byte-identical to the kept photo (changed since the scan)")
    rel = path.relative_to(ctx["root"])
    rec = {"t": "trash" if ctx["trash"] else "move", "batch": ctx["batch"], "seq": seq,
           "src": str(path), "rel": rel.as_posix(), "size": st.st_size,
           "mtime_ns": st.st_mtime_ns, "sha256": sha}
    if not ctx["trash"]:
        tmp = ctx["backup"] / mf.part_name(ctx["batch"], seq)
        rec.update(dst=str(backup_target(ctx["backup"], rel)), tmp=str(tmp))
    return rec


def _sha_of(memo: dict, path: Path) -> str:
    """sha256 of a kept regular file ("" when it is not one), once per batch."""
    if path not in memo:
        try:
            memo[path] = sha256_file(path) if is_file(path) else ""
        except (OSError, ValueError):
            memo[path] = ""
    return memo[path]


def _journal(j: mf.Journal, ctx: dict, rec: dict) -> None:
    """Append a file's record, after the batch's own record (written only once a
    file is really about to move: an apply that moves nothing leaves no batch)."""
    if ctx["head"] is not None:
        j.append(ctx["head"])
        ctx["head"] = None
    j.append(rec)


def _move_one(j: mf.Journal, ctx: dict, seq: int, f: FileLike) -> tuple[str, Outcome]:
    """("moved" | "skipped" | "failed", outcome) for one file."""
    path = Path(os.path.abspath(f.path))
    try:
        rec = _prepare(ctx, seq, f)
        src = Path(rec["src"])
    except Refused as exc:
        return "skipped", Outcome(path, str(exc))
    except OSError as exc:
        mine = exc.filename is not None and Path(exc.filename).name == path.name
        return "failed", Outcome(path, ("cannot read: " if mine else "") + describe(exc))
    try:
        _journal(j, ctx, rec)
    except OSError as exc:
        return "failed", Outcome(path, f"cannot write the backup journal: {describe(exc)}")
    key = {"batch": rec["batch"], "seq": seq}
    dst = Path(rec["dst"]) if "dst" in rec else None
    try:
        if dst is None:
            _send_to_trash(src)
        else:
            transfer(src, dst, Path(rec["tmp"]), rec["sha256"],
                     (rec["size"], rec["mtime_ns"]), ctx["force_copy"])
    except (Changed, Refused) as exc:
        _note(j, {"t": "unmoved", **key, "reason": str(exc)})
        return "skipped", Outcome(path, str(exc))
    except Exception as exc:  # OSError, send2trash's errors: the file stays in place
        reason = describe(exc) if isinstance(exc, OSError) else str(exc)
        _note(j, {"t": "unmoved", **key, "reason": reason})
        return "failed", Outcome(path, reason)
    _note(j, {"t": "moved" if dst else "trashed", **key})
    return "moved", Outcome(path, "", dst)


def _dry_move(root: Path, backup: Path, files: Sequence[FileLike], trash: bool) -> MoveReport:
    moved, skipped, memo = [], [], {}
    for f in files:
        path = Path(os.path.abspath(f.path))
        try:
            src = under_root(root, path, memo)
            _inspect(root, backup, src, f)
            dest = None if trash else backup_target(backup, src.relative_to(root))
            moved.append(Outcome(path, "", dest))
        except Refused as exc:
            skipped.append(Outcome(path, str(exc)))
    return MoveReport("", tuple(moved), tuple(skipped), dry_run=True, trash=trash)


def lock_scanned_folder(root: Path) -> FileLock | None:
    """Hold the scanned folder's lock so that two applies of one scan (into two
    backup folders) cannot run at once; None where it cannot be created (a
    read-only folder: nothing can be moved out of it anyway)."""
    lock = FileLock(root / mf.LOCK_NAME)
    try:
        return lock.acquire()
    except Busy:
        raise mf.JournalBusy(f"another DuplicAlt process is moving photos out of {show(root)}; "
                             "try again when it has finished") from None
    except Refused as exc:
        raise BackupRootError(f"the scanned folder's lock file cannot be used: {exc}") from None
    except OSError:
        return None


def _run(files: list, ctx: dict, progress: Progress | None, cancel: Cancel | None) -> dict:
    out: dict[str, list[Outcome]] = {"moved": [], "skipped": [], "failed": []}
    with mf.Journal(ctx["backup"]) as j:
        for seq, f in enumerate(files):
            if ctx["full"] or (cancel is not None and cancel()):
                why = f"not tried: {ctx['full']}" if ctx["full"] else "cancelled"
                out["skipped"].append(Outcome(Path(os.path.abspath(f.path)), why))
                continue
            kind, outcome = _move_one(j, ctx, seq, f)
            out[kind].append(outcome)
            if kind == "failed" and outcome.reason.endswith(FULL):
                ctx["full"] = "the backup disk is full" if not ctx["trash"] else outcome.reason
            if progress is not None:
                progress(seq + 1, len(files))
        if ctx["head"] is None:  # a batch was started
            _note(j, {"t": "end", "batch": ctx["batch"]})
    return out


def move_to_backup(files: Iterable[FileLike], root: Path, backup_root: Path, *,
                   dry_run: bool = False, trash: bool = False, force_copy: bool = False,
                   progress: Progress | None = None, cancel: Cancel | None = None) -> MoveReport:
    """Move ``files`` (found by a scan of ``root``) under ``backup_root``, keeping
    their paths relative to ``root``; with ``trash`` send them to the system trash
    instead (journalled in ``backup_root`` all the same).

    Raises BackupRootError (bad backup folder) or manifest.JournalBusy; every
    per-file problem is reported in the MoveReport instead. Nothing to move:
    nothing is written. After a "disk full" the remaining files are not tried.
    ``force_copy`` takes the cross-file-system path (copy, fsync, verify) always.
    """
    root, files = Path(os.path.realpath(root)), list(files)
    if dry_run:
        return _dry_move(root, check_backup_root(root, backup_root), files, trash)
    if not files:  # nothing to move: nothing written, not even the backup folder
        check_backup_root(root, backup_root)
        return MoveReport(trash=trash)
    backup = prepare_backup_root(root, backup_root)
    root_lock = lock_scanned_folder(root)
    try:
        recovery = recover(backup)
        batch = mf.new_batch_id()
        head = {"t": "batch", "batch": batch, "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "root": str(root), "mode": "trash" if trash else "move"}
        ctx = {"root": root, "backup": backup, "batch": batch, "trash": trash, "memo": {},
               "shas": {}, "force_copy": force_copy, "head": head, "full": ""}
        out = _run(files, ctx, progress, cancel)
    finally:
        if root_lock is not None:
            root_lock.release()
    return MoveReport(batch if ctx["head"] is None else "", tuple(out["moved"]),
                      tuple(out["skipped"]), tuple(out["failed"]), trash=trash,
                      recovery=recovery)


def trash_files(files: Iterable[FileLike], root: Path, backup_root: Path, *,
                dry_run: bool = False, progress: Progress | None = None,
                cancel: Cancel | None = None) -> MoveReport:
    """Send ``files`` to the system trash (send2trash), journalled in ``backup_root``."""
    return move_to_backup(files, root, backup_root, dry_run=dry_run, trash=True,
                          progress=progress, cancel=cancel)


__all__ = ["Candidate", "MoveReport", "Outcome", "RestoreReport", "backup_target",
           "move_to_backup", "numbered", "restore", "select_entries", "trash_files"]
