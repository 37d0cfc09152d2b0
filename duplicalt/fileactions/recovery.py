"""Finishing or rolling back a batch that was interrupted (crash, kill, power cut).

Call ``recover(backup_root)`` at start (the window) or before a new batch (the
CLI). For each file whose journal record says "in progress" it looks at what is
on disk and settles it so that the photo is in exactly one place:

* target verified (sha256) and source intact -> remove the source: finished
* only the source -> rolled back; only the target -> finished
* a temporary copy -> deleted, unless it is the only verified copy left
* anything unexpected (a changed file) -> both are kept and reported

It deletes only files that are verifiably redundant: never the last copy.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.safeio import (fsync_dir, is_file, makedirs_durable, publish_copy,
                                          remove_quietly, sha256_file, show)

FINISHED, ROLLED_BACK, KEPT_BOTH, MISSING = "finished", "rolled back", "kept both", "missing"


@dataclass(frozen=True)
class Recovered:
    path: Path  # the photo's original path
    batch: str
    action: str  # FINISHED, ROLLED_BACK, KEPT_BOTH, MISSING, or "left pending"
    detail: str = ""


@dataclass(frozen=True)
class RecoveryReport:
    batches: tuple[str, ...] = ()  # interrupted batches that were looked at
    settled: tuple[Recovered, ...] = ()  # finished or rolled back, nothing to worry about
    problems: tuple[Recovered, ...] = ()  # kept both / missing / could not be settled

    @property
    def clean(self) -> bool:
        return not self.problems


def _settle(a: Path, b: Path, tmp: Path | None, sha: str) -> tuple[str, str]:
    """Settle a transfer a -> b that may have been interrupted; (action, detail)."""
    if tmp is not None and is_file(tmp):
        if not is_file(a) and not is_file(b) and sha256_file(tmp) == sha:
            makedirs_durable(b.parent)
            publish_copy(tmp, b)  # the verified copy is the only one left: keep it
            fsync_dir(b.parent)
        else:
            remove_quietly(tmp)
    a_ok, b_ok = is_file(a), is_file(b)
    if a_ok and b_ok:
        if os.path.samefile(a, b):  # hardlinked, source not yet removed
            keep_target = sha256_file(a) == sha
            remove_quietly(a if keep_target else b)
            return (FINISHED, "") if keep_target else (ROLLED_BACK, "changed since recorded")
        if sha256_file(b) == sha and sha256_file(a) == sha:
            remove_quietly(a)
            return FINISHED, ""
        return KEPT_BOTH, f"both {show(a)} and {show(b)} kept: contents differ"
    if a_ok:
        return ROLLED_BACK, ""
    if b_ok:
        same = sha256_file(b) == sha
        return FINISHED, "" if same else "content differs from the recorded sha256"
    return MISSING, f"not found at {show(a)} nor at {show(b)}"


def _resolve(j: mf.Journal, e: mf.BackupEntry, src: Path, dst: Path,
             done_t: str, undone_t: str, left: str) -> Recovered:
    """Finish or roll back one interrupted transfer src -> dst and journal the outcome."""
    action, detail = _settle(src, dst, e.tmp, e.sha256)
    done = action == FINISHED
    rec = {"t": done_t if done else undone_t, "batch": e.batch, "seq": e.seq, "recovered": True}
    if not done:
        rec["reason"] = detail or left
    j.append(rec)
    return Recovered(e.original, e.batch, action, detail)


def _resolve_move(j: mf.Journal, e: mf.BackupEntry) -> Recovered:
    return _resolve(j, e, e.original, e.backup, "moved", "unmoved", "interrupted; left in place")


def _resolve_restore(j: mf.Journal, e: mf.BackupEntry) -> Recovered:
    return _resolve(j, e, e.backup, e.original, "restored", "unrestored",
                    "interrupted; still in the backup")


def _resolve_trash(j: mf.Journal, e: mf.BackupEntry) -> Recovered:
    st = os.lstat(e.original) if is_file(e.original) else None
    if st is not None and st.st_size == e.size:
        j.append({"t": "unmoved", "batch": e.batch, "seq": e.seq, "recovered": True,
                  "reason": "interrupted; not sent to the trash"})
        return Recovered(e.original, e.batch, ROLLED_BACK)
    j.append({"t": "trashed", "batch": e.batch, "seq": e.seq, "recovered": True})
    return Recovered(e.original, e.batch, FINISHED)


_RESOLVERS = {mf.MOVING: _resolve_move, mf.RESTORING: _resolve_restore,
              mf.TRASHING: _resolve_trash}


def _recover_batch(j: mf.Journal, batch: mf.BackupBatch, settled: list, problems: list) -> None:
    if not os.path.isdir(batch.root):
        problems.append(Recovered(batch.root, batch.id, "left pending",
                                  "the scanned folder is not available (unplugged?)"))
        return
    ok = True
    for e in batch.entries:
        if e.state == mf.DAMAGED:
            problems.append(Recovered(e.original, e.batch, "left alone",
                                      f"journal record not trusted: {e.note}"))
        if e.state not in mf.PENDING:
            continue
        try:
            r = _RESOLVERS[e.state](j, e)
        except OSError as exc:
            ok = False
            r = Recovered(e.original, e.batch, "left pending", f"{exc}; will retry next start")
        (settled if r.action in (FINISHED, ROLLED_BACK) and not r.detail else problems).append(r)
    if ok:
        j.append({"t": "end", "batch": batch.id, "recovered": True})


def recover(backup_root: Path) -> RecoveryReport:
    """Finish or roll back every interrupted batch in ``backup_root``.

    Raises manifest.JournalBusy when another process holds the folder, and
    OSError when the journal cannot be written (e.g. read-only backup folder).
    """
    backup_root = Path(backup_root)
    if not mf.needs_recovery(backup_root):
        return RecoveryReport()
    settled: list[Recovered] = []
    problems: list[Recovered] = []
    with mf.Journal(backup_root) as j:
        todo = [b for b in mf.list_backups(backup_root) if not b.complete]  # under the lock
        for batch in todo:
            _recover_batch(j, batch, settled, problems)
    return RecoveryReport(tuple(b.id for b in todo), tuple(settled), tuple(problems))
