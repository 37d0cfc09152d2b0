"""Finding the photos in a folder tree.

Photos are recognised by content (magic bytes); files with a photo extension
whose content is not a supported photo are reported as unreadable. Hidden
folders, excluded folders and DuplicAlt's own backup folders are skipped.
Directory symlinks are never followed (no loops, no scanning outside the
tree); file symlinks and extra hardlinks are reported as links, never as
duplicates to remove.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from duplicalt.core.imageio import PHOTO_EXTENSIONS, sniff
from duplicalt.core.types import FileEntry, LinkEntry, Unreadable

BACKUP_MARKER = ".duplicalt-backup"  # a file inside every backup root
VECTOR_EXTENSIONS = frozenset({".svg", ".svgz"})  # drawings, not photos: reported, not read


@dataclass(frozen=True)
class WalkResult:
    files: tuple[FileEntry, ...]
    links: tuple[LinkEntry, ...]
    unreadable: tuple[Unreadable, ...]


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _excluded(path: Path, excludes: set[Path]) -> bool:
    return path in excludes or (path / BACKUP_MARKER).exists()


def _classify(path: Path, st: os.stat_result) -> tuple[str | None, str | None]:
    """(kind, problem): kind is the sniffed format; problem a reason if unusable."""
    has_ext = path.suffix.lower() in PHOTO_EXTENSIONS
    if st.st_size == 0:
        return None, ("empty file (0 bytes)" if has_ext else None)
    try:
        with open(path, "rb") as f:
            head = f.read(32)
    except PermissionError:
        return None, "permission denied"
    except OSError as exc:
        return None, f"cannot read ({exc.strerror or exc})"
    kind = sniff(head)
    if path.suffix.lower() in VECTOR_EXTENSIONS:
        inside = f"; its content is {kind.upper()}: rename it to scan it" if kind else ""
        return None, f"not a photo: {path.suffix.lower()[1:].upper()} vector drawing{inside}"
    if kind is None and has_ext:
        return None, "not a photo: unrecognised content (corrupt, or not an image)"
    return kind, None


def walk(root: Path, exclude: Iterable[Path] = (),
         on_dir: Callable[[int], None] | None = None) -> WalkResult:
    """Walk ``root`` recursively; deterministic order (sorted relative paths)."""
    root = Path(os.path.abspath(root))
    excludes = {Path(os.path.abspath(p)) for p in exclude}
    files: list[FileEntry] = []
    links: list[LinkEntry] = []
    bad: list[Unreadable] = []

    def onerror(exc: OSError) -> None:
        bad.append(Unreadable(Path(exc.filename or root), f"folder unreadable ({exc.strerror})"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            sub = here / d
            if d.startswith(".") or _excluded(sub, excludes):
                continue
            if sub.is_symlink():
                links.append(LinkEntry(sub, Path(os.path.realpath(sub)), "symlink"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.startswith(".") and name != BACKUP_MARKER:
                _visit(here / name, root, files, links, bad)
        if on_dir is not None:
            on_dir(len(files))
    files, hardlinks = _split_hardlinks(files)
    links.extend(hardlinks)
    return WalkResult(
        files=tuple(sorted(files, key=lambda e: e.rel)),
        links=tuple(sorted(links, key=lambda e: str(e.path))),
        unreadable=tuple(sorted(bad, key=lambda e: str(e.path))),
    )


def _visit(path: Path, root: Path, files: list, links: list, bad: list) -> None:
    try:
        st = path.lstat()
    except OSError as exc:
        bad.append(Unreadable(path, f"cannot read ({exc.strerror or exc})"))
        return
    if stat.S_ISLNK(st.st_mode):
        target = Path(os.path.realpath(path))
        if target.suffix.lower() in PHOTO_EXTENSIONS or path.suffix.lower() in PHOTO_EXTENSIONS:
            links.append(LinkEntry(path, target, "symlink"))
        return
    if not stat.S_ISREG(st.st_mode):
        return
    kind, problem = _classify(path, st)
    if problem:
        bad.append(Unreadable(path, problem))
    elif kind:
        files.append(FileEntry(path, _rel(root, path), st.st_size, st.st_mtime_ns, kind,
                               inode=(st.st_dev, st.st_ino) if st.st_nlink > 1 else None))


def _split_hardlinks(files: list[FileEntry]) -> tuple[list[FileEntry], list[LinkEntry]]:
    """Keep the first path (by relative path) of each inode; report the others."""
    first: dict[tuple[int, int], FileEntry] = {}
    kept: list[FileEntry] = []
    links: list[LinkEntry] = []
    for entry in sorted(files, key=lambda e: e.rel):
        if entry.inode is None:
            kept.append(entry)
        elif entry.inode in first:
            links.append(LinkEntry(entry.path, first[entry.inode].path, "hardlink"))
        else:
            first[entry.inode] = entry
            kept.append(entry)
    return kept, links
