"""Result and input types of the file actions (move, trash, restore)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from duplicalt.fileactions.recovery import RecoveryReport


class FileLike(Protocol):  # types.FileEntry and decisions.Candidate both fit
    path: Path
    size: int | None
    mtime_ns: int | None


@dataclass(frozen=True)
class Candidate:
    """A file to move; size/mtime_ns as seen by the scan (None: not checked)."""

    path: Path
    size: int | None = None
    mtime_ns: int | None = None
    # kept photos it must still be byte-identical to (an identical group): checked by
    # sha256 just before it is moved, so a file rewritten since the scan stays
    same_as: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Outcome:
    path: Path  # the photo's original path
    reason: str = ""  # why skipped or failed ("" when done)
    dest: Path | None = None  # where it went (or would go, in a dry run)


@dataclass(frozen=True)
class MoveReport:
    batch: str = ""
    moved: tuple[Outcome, ...] = ()  # moved to the backup (or trashed)
    skipped: tuple[Outcome, ...] = ()  # refused before anything was done
    failed: tuple[Outcome, ...] = ()  # attempted, undone, left in place
    dry_run: bool = False
    trash: bool = False
    recovery: RecoveryReport | None = None  # what was settled before this batch

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.failed


@dataclass(frozen=True)
class RestoreReport:
    restored: tuple[Outcome, ...] = ()  # dest: the backup copy it came from
    skipped: tuple[Outcome, ...] = ()
    failed: tuple[Outcome, ...] = ()
    dry_run: bool = False
    recovery: RecoveryReport | None = None
    read_only: bool = False  # copied back from a read-only backup, which keeps its copies
    trashed: int = 0  # matching files that went to the system trash (restore them there)

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.failed


Progress = Callable[[int, int], None]  # (done, total)
Cancel = Callable[[], bool]
