"""Finding the photos in a folder tree.

Photos are recognised by content (magic bytes); files with a photo extension
whose content is not a supported photo are reported as unreadable. Hidden
folders, excluded folders and DuplicAlt's own backup folders are skipped.
Directory symlinks are never followed (no loops, no scanning outside the
tree); file symlinks and extra hardlinks are reported as links, never as
duplicates to remove.

With ``known`` (recorded (size, mtime_ns, kind) per path, see Cache.get_kinds),
an unchanged file is classified from lstat alone, without opening it: a warm
re-scan of a big library on a spinning disk or a NAS costs no seek per file.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from duplicalt.photos.decode import PHOTO_EXTENSIONS, sniff
from duplicalt.photos.types import BACKUP_MARKER, FileEntry, LinkEntry, Unreadable

VECTOR_EXTENSIONS = frozenset({".svg", ".svgz"})  # drawings, not photos: reported, not read
Known = Mapping[bytes, tuple[int, int, str]]  # fsencoded path -> (size, mtime_ns, kind or "")


@dataclass(frozen=True)
class WalkResult:
    files: tuple[FileEntry, ...]
    links: tuple[LinkEntry, ...]
    unreadable: tuple[Unreadable, ...]
    sniffed: tuple[tuple[Path, int, int, str], ...] = ()  # read now: (path, size, mtime, kind)


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be scanned (a sentence for the user), or None."""
    if not folder.exists():
        return f"The folder {folder} does not exist."
    if not folder.is_dir():
        return f"{folder} is not a folder."
    try:
        with os.scandir(folder) as it:
            next(it, None)
    except OSError as exc:
        return f"The folder {folder} cannot be read ({exc.strerror or exc})."
    return None


def _rel_prefix(root: Path, dirpath: str) -> str:
    rel = os.path.relpath(dirpath, root)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


def _excluded(path: Path, excludes: set[Path]) -> bool:
    return path in excludes or (path / BACKUP_MARKER).exists()


def _sniff(path: Path, st: os.stat_result, known: Known | None,
           sniffed: list) -> tuple[str | None, str | None]:
    """(kind, read problem): from ``known`` when size and mtime match, else the file's head."""
    hit = known.get(os.fsencode(path)) if known else None
    if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
        return hit[2] or None, None
    try:
        with open(path, "rb") as f:
            head = f.read(32)
    except PermissionError:
        return None, "permission denied"
    except OSError as exc:
        return None, f"cannot read ({exc.strerror or exc})"
    kind = sniff(head)
    sniffed.append((path, st.st_size, st.st_mtime_ns, kind or ""))
    return kind, None


def _classify(path: Path, st: os.stat_result, known: Known | None = None,
              sniffed: list | None = None) -> tuple[str | None, str | None]:
    """(kind, problem): kind is the sniffed format; problem a reason if unusable."""
    has_ext = path.suffix.lower() in PHOTO_EXTENSIONS
    if st.st_size == 0:
        return None, ("empty file (0 bytes)" if has_ext else None)
    kind, problem = _sniff(path, st, known, [] if sniffed is None else sniffed)
    if problem:
        return None, problem
    if path.suffix.lower() in VECTOR_EXTENSIONS:
        inside = f"; its content is {kind.upper()}: rename it to scan it" if kind else ""
        return None, f"not a photo: {path.suffix.lower()[1:].upper()} vector drawing{inside}"
    if kind is None and has_ext:
        return None, "not a photo: unrecognised content (corrupt, or not an image)"
    return kind, None


def _descend(here: Path, dirnames: list[str], excludes: set[Path],
             links: list[LinkEntry]) -> list[str]:
    """The subfolders of ``here`` to walk into, sorted: no hidden or excluded
    folder, and a linked folder is listed (in ``links``), never followed."""
    keep = []
    for d in sorted(dirnames):
        sub = here / d
        if d.startswith(".") or _excluded(sub, excludes):
            continue
        if sub.is_symlink():
            links.append(LinkEntry(sub, Path(os.path.realpath(sub)), "symlink"))
            continue
        keep.append(d)
    return keep


def walk(root: Path, exclude: Iterable[Path] = (),
         on_dir: Callable[[int], None] | None = None, known: Known | None = None) -> WalkResult:
    """Walk ``root`` recursively; deterministic order (sorted relative paths).
    ``known``: recorded kinds of unchanged files (not re-read); the files read
    this time are returned in ``sniffed`` for the caller to record."""
    root = Path(os.path.abspath(root))
    excludes = {Path(os.path.abspath(root / p)) for p in exclude}  # relative: to the root
    files: list[FileEntry] = []
    links: list[LinkEntry] = []
    bad: list[Unreadable] = [Unreadable(p, "--exclude: no such folder (nothing was excluded)")
                             for p in sorted(excludes) if not p.is_dir()]
    sniffed: list[tuple[Path, int, int, str]] = []

    def onerror(exc: OSError) -> None:
        bad.append(Unreadable(Path(exc.filename or root), f"folder unreadable ({exc.strerror})"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = _descend(here, dirnames, excludes, links)
        prefix = _rel_prefix(root, dirpath)
        for name in sorted(filenames):
            if not name.startswith(".") and name != BACKUP_MARKER:
                _visit(here / name, prefix + name, (files, links, bad, sniffed), known)
        if on_dir is not None:
            on_dir(len(files))
    files, hardlinks = _split_hardlinks(files)
    links.extend(hardlinks)
    return WalkResult(
        files=tuple(sorted(files, key=lambda e: e.rel)),
        links=tuple(sorted(links, key=lambda e: str(e.path))),
        unreadable=tuple(sorted(bad, key=lambda e: str(e.path))),
        sniffed=tuple(sniffed),
    )


def _visit(path: Path, rel: str, out: tuple[list, list, list, list], known: Known | None) -> None:
    files, links, bad, sniffed = out
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
        if path.suffix.lower() in PHOTO_EXTENSIONS:
            bad.append(Unreadable(path, "not a regular file (a FIFO, socket or device)"))
        return
    kind, problem = _classify(path, st, known, sniffed)
    if problem:
        bad.append(Unreadable(path, problem))
    elif kind:
        files.append(FileEntry(path, rel, st.st_size, st.st_mtime_ns, kind,
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
