"""Groups of duplicate photos, as the pairing step hands them to review."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from duplicalt.photos.types import FileEntry, PhotoInfo

IDENTICAL = "identical"  # byte-for-byte the same content (content hash)
SIMILAR = "similar"  # near-duplicates by embedding similarity


@dataclass(frozen=True)
class Member:
    entry: FileEntry
    info: PhotoInfo | None
    similarity: float  # to the group's centre (1.0 for the centre itself)
    copy_of: Path | None = None  # a byte-identical copy of this group member
    shows_another: bool = False  # shows another member inside a larger picture (a page,
    # a screenshot: found through one of its regions), so it is not that member's original


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
