"""Choosing and preparing a backup folder.

Rules (each refusal is a BackupRootError with a user-facing message):

* it must not be the scanned folder or contain it;
* it must be new, empty, or already a DuplicAlt backup (has the marker file
  ``.duplicalt-backup``). A folder of the user's own files is refused because
  marking it would make later scans skip those files;
* inside the scanned folder it is allowed under the same rule: it is marked
  at once so scans skip it, and no file inside it is ever moved;
* it must be writable (read-only folders and file systems are refused up
  front, before anything is moved);
* it must hold no symlink (DuplicAlt never creates one there): a link planted
  at the journal, the lock or a backup path could make a write land elsewhere.
  Files in the backup folder are opened with O_NOFOLLOW all the same.
"""
from __future__ import annotations

import os
from pathlib import Path

from duplicalt.fileactions.journal import BACKUP_MARKER, is_backup_root, mark_backup_root
from duplicalt.fileactions.locking import open_plain
from duplicalt.fileactions.safeio import Refused, describe, makedirs_durable, show

PROBE_NAME = ".duplicalt-write-test"


class BackupRootError(ValueError):
    """The backup folder cannot be used; the message says why."""


def _inside(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def _visible_entries(path: Path) -> list[str]:
    try:
        return [n for n in os.listdir(path) if not n.startswith(".")]
    except PermissionError:
        raise BackupRootError(f"backup folder {show(path)} cannot be read (permission denied)") \
            from None


def planted_link(backup: Path) -> Path | None:
    """The first symlink found anywhere in the backup folder (None: there is none)."""
    for dirpath, dirnames, filenames in os.walk(backup, followlinks=False):
        for name in sorted(dirnames + filenames):
            if os.path.islink(os.path.join(dirpath, name)):
                return Path(dirpath, name)
    return None


def check_backup_root(root: Path, backup_root: Path) -> Path:
    """Validate ``backup_root`` for photos scanned in ``root``; its absolute real path.

    Touches nothing on disk.
    """
    real_root = os.path.realpath(root)
    backup = Path(os.path.realpath(backup_root))
    if _inside(real_root, str(backup)):
        raise BackupRootError(f"backup folder {show(backup_root)} is the scanned folder or "
                              "contains it; choose a folder outside it")
    if os.path.lexists(backup):
        if not backup.is_dir():
            raise BackupRootError(f"backup folder {show(backup_root)} is not a folder")
        if not is_backup_root(backup) and _visible_entries(backup):
            raise BackupRootError(
                f"backup folder {show(backup_root)} is not empty and is not a DuplicAlt backup "
                f"(no {BACKUP_MARKER} file); choose a new or empty folder")
        link = planted_link(backup)
        if link is not None:
            raise BackupRootError(f"backup folder {show(backup_root)} holds a symlink "
                                  f"({show(link)}); DuplicAlt never makes one there, so "
                                  "nothing is written into it until the link is removed")
    return backup


def prepare_backup_root(root: Path, backup_root: Path) -> Path:
    """check_backup_root, then create the folder and its marker; the real path."""
    backup = check_backup_root(root, backup_root)
    try:
        makedirs_durable(backup)
        mark_backup_root(backup)
        probe = backup / PROBE_NAME
        if os.path.lexists(probe):  # left by a crash (a link was refused above)
            os.unlink(probe)
        os.close(open_plain(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        os.unlink(probe)
    except Refused as exc:
        raise BackupRootError(f"backup folder {show(backup_root)}: {exc}") from None
    except OSError as exc:
        raise BackupRootError(f"cannot use backup folder {show(backup_root)}: "
                              f"{describe(exc)}") from None
    return backup


def inside_backup(path: Path, backup: Path) -> bool:
    """True when ``path`` (really) lies inside the real backup folder ``backup``."""
    return _inside(os.path.realpath(path), str(backup))
