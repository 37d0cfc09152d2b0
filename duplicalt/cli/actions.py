"""``duplicalt apply`` and ``duplicalt restore`` (wired into duplicalt.cli.main).

Exit codes: 0 all done, 1 some files skipped or failed (each reported on
stderr), 2 bad usage or input (nothing was touched). The summary goes to
stdout, problems to stderr; ``--dry-run`` prints what would happen.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from typing import Sequence

from duplicalt.fileactions.move import MoveReport, Outcome, RestoreReport, restore
from duplicalt.fileactions.backuproot import BackupRootError
from duplicalt.review.decisions import RULES, DecisionsError, apply_plan, load_decisions, make_plan
from duplicalt.fileactions.journal import (JournalError, is_backup_root, list_backups,
                                           needs_recovery)
from duplicalt.fileactions.recovery import RecoveryReport
from duplicalt.fileactions.safeio import describe, show

OK, PARTIAL, BAD_INPUT = 0, 1, 2
_MAX_LISTED = 200  # done files listed in a real run (all of them in a dry run)


def add_apply_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "apply", help="move photos marked for removal to a backup folder (or the trash)",
        description="Carry out DECISIONS.json (written by `duplicalt scan --json`, with "
                    "\"action\": \"keep\"/\"remove\" marks or a --rule). Photos are moved under "
                    "the backup folder keeping their paths relative to the scanned folder; "
                    "nothing is overwritten; `duplicalt restore` puts them back.")
    p.add_argument("decisions", metavar="DECISIONS.json")
    p.add_argument("--backup", metavar="DIR", required=True,
                   help="backup folder: new, empty, or an earlier DuplicAlt backup")
    p.add_argument("--rule", choices=RULES, help="decide unmarked files: keep-suggested keeps "
                                                 "each group's suggested photo, removes the rest")
    p.add_argument("--trash", action="store_true",
                   help="send to the system trash instead (still recorded in the backup folder)")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; touch nothing")
    p.add_argument("--force-copy", action="store_true",
                   help="always copy, fsync and verify (as across file systems) instead of linking")
    p.add_argument("--unsealed", action="store_true",
                   help="apply a decisions file without the scan's seal (one you wrote yourself); "
                        "by default only files that a scan of yours listed are moved")
    p.set_defaults(func=run_apply)
    return p


def add_restore_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "restore", help="put backed-up photos back at their original paths",
        description="Restore photos from a DuplicAlt backup folder (also after a restart). "
                    "A file that now exists at the original path is never overwritten.")
    p.add_argument("backup", metavar="DIR")
    p.add_argument("--only", metavar="PATH", nargs="+", action="extend",
                   help="only these: paths relative to the scanned folder, absolute paths, "
                        "folders, or globs such as 'trip/*.jpg'")
    p.add_argument("--batch", metavar="ID", help="only this batch (an id from --list, or a prefix)")
    p.add_argument("--list", action="store_true", help="list the backup's batches and files")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; touch nothing")
    p.add_argument("--force-copy", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run_restore)
    return p


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _problems(word: str, items: Sequence[Outcome]) -> None:
    for o in items:
        _err(f"{word}: {show(o.path)}: {o.reason}")


def _listed(items: Sequence[Outcome], arrow: str, dry: bool) -> None:
    limit = len(items) if dry else _MAX_LISTED
    for o in items[:limit]:
        print(f"  {show(o.path)} {arrow} {show(o.dest)}" if o.dest else f"  {show(o.path)}")
    if len(items) > limit:
        print(f"  ... and {len(items) - limit} more")


def _print_recovery(rec: RecoveryReport | None) -> None:
    if rec is None or not rec.batches:
        return
    print(f"Recovered {len(rec.batches)} interrupted batch(es) first: "
          f"{len(rec.settled)} file(s) settled, {len(rec.problems)} problem(s).")
    for r in rec.problems:
        _err(f"recovery: {show(r.path)}: {r.action}: {r.detail}")


def _print_move(report: MoveReport, backup: str) -> None:
    _print_recovery(report.recovery)
    n, where = len(report.moved), "the trash" if report.trash else show(backup)
    if report.dry_run:
        print(f"Dry run: would move {n} photo(s) to {where}; "
              f"{len(report.skipped)} would be skipped. Nothing was changed.")
    else:
        print(f"Moved {n} photo(s) to {where}; {len(report.skipped)} skipped, "
              f"{len(report.failed)} failed." + (f" Batch {report.batch}." if n else ""))
    _listed(report.moved, "->", report.dry_run)
    _problems("would skip" if report.dry_run else "skipped", report.skipped)
    _problems("failed", report.failed)
    if n and not report.dry_run and not report.trash:
        print(f"Undo with: duplicalt restore {shlex.quote(show(backup))} --batch {report.batch}")


def run_apply(args: argparse.Namespace) -> int:
    try:
        plan = make_plan(load_decisions(args.decisions, unsealed=args.unsealed), args.rule)
        if args.dry_run and is_backup_root(args.backup) and needs_recovery(args.backup):
            print("Note: the backup folder has an interrupted batch; it will be recovered first.")
        report = apply_plan(plan, args.backup, trash=args.trash, dry_run=args.dry_run,
                            force_copy=args.force_copy)
    except (DecisionsError, BackupRootError, JournalError) as exc:
        _err(f"duplicalt apply: {exc}")
        return BAD_INPUT
    except OSError as exc:  # e.g. the journal became unwritable: every file is still safe
        _err(f"duplicalt apply: stopped: {describe(exc)} ({show(exc.filename or '')})")
        return PARTIAL
    _print_move(report, args.backup)
    return OK if report.ok else PARTIAL


def _print_list(backup: str) -> int:
    batches = list_backups(backup)
    if not batches:
        print(f"No batches in {show(backup)}.")
    for b in batches:
        state = "" if b.complete else " (interrupted: recovered at the next apply/restore)"
        print(f"Batch {b.id}  {b.started}  {b.mode} from {show(b.root)}{state}")
        for e in b.entries:
            note = f"  ({e.note})" if e.note else ""
            print(f"  [{e.state}] {show(e.rel or e.original)}{note}")
    return OK


def _print_restore(report: RestoreReport) -> None:
    _print_recovery(report.recovery)
    n = len(report.restored)
    if report.dry_run:
        print(f"Dry run: would restore {n} photo(s); {len(report.skipped)} would be skipped, "
              f"{len(report.failed)} would fail. Nothing was changed.")
    else:
        print(f"Restored {n} photo(s); {len(report.skipped)} skipped, "
              f"{len(report.failed)} failed.")
    _listed(report.restored, "<-", report.dry_run)
    _problems("would skip" if report.dry_run else "skipped", report.skipped)
    _problems("failed", report.failed)
    if report.read_only:
        print("The backup folder is read-only: the photos were copied back and the backup "
              "keeps its copies (nothing could be recorded in it).")
    _trash_hint(report)


def _trash_hint(report: RestoreReport) -> None:
    if report.trashed and not report.restored:
        print(f"Note: {report.trashed} photo(s) of this backup were sent to the system trash, "
              "not into the backup folder: restore them from the trash (your file manager's "
              "Trash / Recycle Bin).")


def run_restore(args: argparse.Namespace) -> int:
    try:
        if not is_backup_root(args.backup):
            raise BackupRootError(f"{show(args.backup)} is not a DuplicAlt backup folder")
        if args.list:
            return _print_list(args.backup)
        report = restore(args.backup, only=args.only, batch=args.batch, dry_run=args.dry_run,
                         force_copy=args.force_copy)
    except (BackupRootError, JournalError) as exc:
        _err(f"duplicalt restore: {exc}")
        return BAD_INPUT
    except OSError as exc:
        _err(f"duplicalt restore: stopped: {describe(exc)} ({show(exc.filename or '')})")
        return PARTIAL
    if (args.only or args.batch) and not (report.restored or report.skipped or report.failed):
        _err("duplicalt restore: nothing in the backup matches --only/--batch")
        _trash_hint(report)
        return BAD_INPUT
    _print_restore(report)
    return OK if report.ok else PARTIAL
