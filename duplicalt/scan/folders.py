"""The folders of one scan: several may be given, reference folders among them;
each is walked once and every photo knows the folder it was found in."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from duplicalt.photos.cache import Cache
from duplicalt.photos.walk import walk
from duplicalt.progress.meter import Meter, ProgressFn


def folders(root: Path | Sequence[Path], reference: Iterable[Path] = ()
            ) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(every folder to walk, resolved, each once; the reference ones among them)."""
    many = [root] if isinstance(root, (str, Path)) else list(root)
    refs = tuple(dict.fromkeys(Path(r).resolve() for r in reference))
    roots = tuple(dict.fromkeys([Path(r).resolve() for r in many] + list(refs)))
    return roots, refs


def walk_roots(roots: Sequence[Path], exclude: Iterable[Path], cache: Cache,
               progress: ProgressFn | None):
    """Walk every root (a root inside another is walked on its own, so each file
    knows the one folder it belongs to); files tagged with their root."""
    exclude = tuple(exclude)
    meter = Meter("walk", 0, progress)
    files, links, unreadable, seen = [], [], [], set()
    for root in roots:
        nested = tuple(r for r in roots if r != root and _inside(r, root))
        base = meter.done
        found = walk(root, exclude + nested, on_dir=lambda n: meter.add(base + n - meter.done),
                     known=cache.get_kinds(root))  # unchanged files: lstat only, not re-read
        cache.put_kinds(found.sniffed)
        for e in found.files:
            if e.path not in seen:
                seen.add(e.path)
                files.append(replace(e, root=root) if len(roots) > 1 else e)
        links += found.links
        unreadable += found.unreadable
    return tuple(files), tuple(links), tuple(unreadable)


def _inside(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents
