"""Apply and undo through the core's safe file actions (run in a worker thread).

Removed photos go into the backup folder with their paths relative to the
scanned folder (or to the system trash, when chosen in settings); the journal
in the backup folder is what undo restores from. Nothing is deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from duplicalt.fileactions.move import (Candidate, MoveReport, RestoreReport, move_to_backup,
                                        restore, select_entries)
from duplicalt.fileactions.backuproot import BackupRootError, check_backup_root
from duplicalt.fileactions.journal import JournalError, is_backup_root
from duplicalt.fileactions.recovery import RecoveryReport
from duplicalt.fileactions.safeio import show
from duplicalt.pairing.types import IDENTICAL, Group
from duplicalt.photos.types import FileEntry
from duplicalt.gui.review.facts import human_size

USER_ERRORS = (BackupRootError, JournalError)  # shown as a dialog with their message


@dataclass(frozen=True)
class Applied:
    """What undo needs to know about an applied batch."""

    backup: Path
    batch: str
    trash: bool
    moved: tuple[Path, ...]


def candidates(entries: Iterable[FileEntry],
               same_as: Mapping[Path, tuple[Path, ...]] | None = None) -> list[Candidate]:
    """Candidates carrying the size and mtime seen by the scan (changed files are refused);
    ``same_as`` names, per byte-identical copy, the kept photos whose bytes it must still
    have when it is moved (move_to_backup re-checks them by sha256)."""
    same_as = same_as or {}
    return [Candidate(e.path, e.size, e.mtime_ns, same_as=tuple(same_as.get(e.path, ())))
            for e in entries]


def kept_twins(groups: Iterable[Group], entries: Iterable[FileEntry]
               ) -> dict[Path, tuple[Path, ...]]:
    """For each removal from a byte-identical group (or a member that is a byte-identical
    copy of a kept photo), the kept photos whose bytes it must still have: the move
    re-checks them by sha256 (``candidates(..., same_as=)``)."""
    removing = {e.path for e in entries}
    out: dict[Path, tuple[Path, ...]] = {}
    for g in groups:
        kept = tuple(m.entry.path for m in g.members if m.entry.path not in removing)
        for m in g.members:
            if m.entry.path not in removing:
                continue
            if g.tier == IDENTICAL and kept:
                out[m.entry.path] = kept
            elif m.copy_of is not None and m.copy_of not in removing:
                out[m.entry.path] = (m.copy_of,)  # a byte-identical copy of a kept photo
    return out


def check_backup(root: Path, backup: Path) -> str | None:
    """None if ``backup`` can take photos from ``root``, else the user-facing reason."""
    try:
        check_backup_root(root, backup)
    except BackupRootError as exc:
        return str(exc)
    return None


def apply(root: Path, backup: Path, entries: list[FileEntry], trash: bool) -> MoveReport:
    return move_to_backup(candidates(entries), root, backup, trash=trash)


def apply_roots(jobs: list[tuple[Path, Path, list[FileEntry]]], trash: bool,
                same_as: Mapping[Path, tuple[Path, ...]] | None = None
                ) -> tuple[MoveReport, list[Applied]]:
    """Each scanned folder's photos into that folder's own backup (paths inside a
    backup stay relative to their root); one report for all, one Applied per batch."""
    reports = [(backup, move_to_backup(candidates(entries, same_as), root, backup, trash=trash))
               for root, backup, entries in jobs if entries]
    merged = MoveReport(
        batch=reports[0][1].batch if reports else "",
        moved=tuple(o for _, r in reports for o in r.moved),
        skipped=tuple(o for _, r in reports for o in r.skipped),
        failed=tuple(o for _, r in reports for o in r.failed), trash=trash,
        recovery=next((r.recovery for _, r in reports if r.recovery is not None), None))
    applied = [Applied(backup, r.batch, trash, tuple(o.path for o in r.moved))
               for backup, r in reports if r.moved]
    return merged, applied


def undo(applied: Applied | list[Applied]) -> RestoreReport:
    """Put an applied batch back (or several: one per scanned folder)."""
    if isinstance(applied, Applied):
        return restore(applied.backup, batch=applied.batch)
    reports = [restore(a.backup, batch=a.batch) for a in applied]
    return RestoreReport(restored=tuple(o for r in reports for o in r.restored),
                         skipped=tuple(o for r in reports for o in r.skipped),
                         failed=tuple(o for r in reports for o in r.failed))


def restore_all(backup: Path) -> RestoreReport:
    """Put back every photo still in the backup folder (any session's batches)."""
    return restore(backup)


def in_backup(backup: Path) -> int:
    """How many photos the backup folder holds that could be put back."""
    if not is_backup_root(backup):
        return 0
    return len(select_entries(backup))


def _recovered(recovery: RecoveryReport | None) -> str:
    if recovery is None or not recovery.batches:
        return ""
    n = len(recovery.settled) + len(recovery.problems)
    return f" An interrupted earlier batch was settled first ({n} file{'s' if n != 1 else ''})."


def _problems(outcomes) -> list[str]:
    return [f"{show(o.path)}: {o.reason}" for o in outcomes]


def apply_summary(report: MoveReport, backup: Path, size: int) -> tuple[str, list[str]]:
    n = len(report.moved)
    where = "sent to the system trash" if report.trash else f"moved into {show(backup)}"
    text = f"{n} photo{'s' if n != 1 else ''} ({human_size(size)}) {where}."
    if not report.trash and n:
        text += " Nothing was deleted; Ctrl+Z puts them back."
    text += _recovered(report.recovery)
    problems = [f"{show(r.path)}: {r.action} ({r.detail})" for r in
                (report.recovery.problems if report.recovery else ())]
    return text, problems + _problems(report.skipped) + _problems(report.failed)


def undo_summary(report: RestoreReport) -> tuple[str, list[str]]:
    n = len(report.restored)
    text = f"{n} photo{'s' if n != 1 else ''} put back where they were."
    return text, _problems(report.skipped) + _problems(report.failed)
