"""Plain data types shared by the core, the CLI and the window (no torch, no Qt)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

IDENTICAL = "identical"  # byte-for-byte the same content (content hash)
SIMILAR = "similar"  # near-duplicates by embedding similarity


@dataclass(frozen=True)
class FileEntry:
    """A regular photo file found by the walk (never a link)."""

    path: Path  # absolute
    rel: str  # path relative to the scanned root, POSIX separators
    size: int
    mtime_ns: int
    kind: str  # format sniffed from content: "jpeg", "png", ...
    inode: tuple[int, int] | None = None  # (st_dev, st_ino) when the file has hardlinks


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
class EmbedOutcome:
    """One photo's result from an embedder: a vector and info, or an error."""

    index: int
    vector: np.ndarray | None = None
    info: PhotoInfo | None = None
    error: str | None = None


# Shown each photo an embedder decodes, in its decode thread: (path, upright RGB
# PIL image, info, the target it was decoded for: load_photo(path, target)).
# The pair matcher keeps a small grey copy so it need not decode the file again.
KeepDecoded = Callable[[Path, object, PhotoInfo, "int | None"], None]


class Embedder(Protocol):
    """What the scan pipeline needs from an encoder (implemented in duplicalt.ml)."""

    model_id: str  # weights sha256 + preprocessing: part of every cache key
    dim: int

    def embed(self, paths: Sequence[Path], keep: KeepDecoded | None = None
              ) -> Iterator[list[EmbedOutcome]]:
        """Yield outcomes batch by batch (every index exactly once). ``keep``,
        when given, is called with each decoded photo (see KeepDecoded)."""
        ...


@dataclass(frozen=True)
class Member:
    entry: FileEntry
    info: PhotoInfo | None
    similarity: float  # to the group's centre (1.0 for the centre itself)
    copy_of: Path | None = None  # a byte-identical copy of this group member


@dataclass(frozen=True)
class Group:
    tier: str  # IDENTICAL or SIMILAR
    members: tuple[Member, ...]  # centre first, then by similarity descending
    pairs: tuple[tuple[int, int, float], ...] = ()  # (i, j, cosine) between members

    @property
    def centre(self) -> Member:
        return self.members[0]

    @property
    def best_similarity(self) -> float:
        return max((m.similarity for m in self.members[1:]), default=1.0)


@dataclass(frozen=True)
class Progress:
    stage: str  # "walk", "hash", "embed", "group"
    done: int
    total: int
    rate: float = 0.0  # items per second in this stage
    eta_s: float | None = None
    message: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class ScanStats:
    files: int = 0
    embedded: int = 0  # newly embedded this scan
    cached: int = 0  # answered by the cache
    identical_files: int = 0
    seconds: float = 0.0
    cancelled: bool = False


@dataclass(frozen=True, eq=False)
class ScanResult:
    root: Path
    threshold: float
    groups: tuple[Group, ...]
    unreadable: tuple[Unreadable, ...]
    links: tuple[LinkEntry, ...]
    stats: ScanStats
    model_id: str = ""
    # Everything needed to regroup at another threshold without re-embedding:
    entries: tuple[FileEntry, ...] = ()  # embedded photos, row i of vectors
    infos: tuple[PhotoInfo | None, ...] = ()
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float16))
    identical: tuple[Group, ...] = ()
    pairs: object = None  # grouping.Pairs searched down to some floor <= threshold
    verifier: object = None  # the second-stage verifier used, if any

    @property
    def similar(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.tier == SIMILAR)
