"""What the scan pipeline needs from an embedder, and what a scan returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from duplicalt.pairing.types import Group, SIMILAR
from duplicalt.photos.types import FileEntry, LinkEntry, PhotoInfo, Unreadable


@dataclass(frozen=True)
class EmbedOutcome:
    """One photo's result from an embedder: a vector and info, or an error."""

    index: int
    vector: np.ndarray | None = None
    info: PhotoInfo | None = None
    error: str | None = None
    regions: np.ndarray | None = None  # (k, dim) vectors of the pictures inside the photo
    boxes: np.ndarray | None = None  # (k, 4) their boxes as fractions (photos.types.RegionRef)


# Shown each photo an embedder decodes, in its decode thread: (path, upright RGB
# PIL image, info, the target it was decoded for: load_photo(path, target)).
# The pair matcher keeps a small grey copy so it need not decode the file again.
KeepDecoded = Callable[[Path, object, PhotoInfo, "int | None"], None]


class Embedder(Protocol):
    """What the scan pipeline needs from an encoder (implemented in duplicalt.ml)."""

    model_id: str  # weights sha256 + preprocessing: part of every cache key
    dim: int
    # Optional: ``regions_key``, how pictures inside photos are found (pairing.regions.Regions.key)

    def embed(self, paths: Sequence[Path], keep: KeepDecoded | None = None
              ) -> Iterator[list[EmbedOutcome]]:
        """Yield outcomes batch by batch (every index exactly once). ``keep``,
        when given, is called with each decoded photo (see KeepDecoded)."""
        ...


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
    roots: tuple[Path, ...] = ()  # every folder scanned (``root`` is the first)
    reference: tuple[Path, ...] = ()  # of those, the ones never offered for removal
    not_duplicates: frozenset = frozenset()  # frozensets of two content digests kept apart
    digests: dict = field(default_factory=dict)  # entry index -> content digest, as hashed
    regions: object = None  # pairing.regions.Regions: the pictures inside photos, if any

    def root_of(self, entry: FileEntry) -> Path:
        return entry.root or self.root

    def is_reference(self, entry: FileEntry) -> bool:
        """A photo from a reference folder: shown, never offered for removal."""
        return bool(self.reference) and self.root_of(entry) in self.reference

    @property
    def similar(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.tier == SIMILAR)
