"""What the walk and the decoder know about a photo file (no torch, no Qt)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# A file inside every DuplicAlt backup folder: scans skip such folders, and file
# actions refuse a backup destination without it that is not empty.
BACKUP_MARKER = ".duplicalt-backup"


@dataclass(frozen=True)
class FileEntry:
    """A regular photo file found by the walk (never a link)."""

    path: Path  # absolute
    rel: str  # path relative to the scanned root, POSIX separators
    size: int
    mtime_ns: int
    kind: str  # format sniffed from content: "jpeg", "png", ...
    inode: tuple[int, int] | None = None  # (st_dev, st_ino) when the file has hardlinks
    root: Path | None = None  # the scanned folder it was found in (``rel`` is relative to it)


@dataclass(frozen=True)
class LinkEntry:
    """A symlink or an extra hardlink to a photo: reported, never offered for removal."""

    path: Path
    target: Path
    kind: str  # "symlink" or "hardlink"


@dataclass(frozen=True)
class Unreadable:
    path: Path
    reason: str


@dataclass(frozen=True)
class PhotoInfo:
    """What the decoder learned about a photo, kept in the cache with its vector."""

    width: int
    height: int
    format: str
    taken: str | None = None  # EXIF DateTimeOriginal as "YYYY-MM-DD HH:MM:SS"


@dataclass(frozen=True)
class RegionRef:
    """A picture inside a photo (ml.model.regions): the photo's path and the box
    as fractions of its width and height (left, top, right, bottom). The
    verifier matches this part alone when a pair was found through it."""

    path: Path
    box: tuple[float, float, float, float]
