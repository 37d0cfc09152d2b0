"""What the review shows about each photo, and the suggested keeper (no Qt)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from duplicalt.review.keeper import suggest_keeper
from duplicalt.pairing.types import Group, Member

FIELDS = ("Resolution", "Format", "File size", "Taken", "Similarity", "Path")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def megapixels(m: Member) -> str:
    if not m.info:
        return "?"
    mp = m.info.width * m.info.height / 1e6
    shown = f"{mp:.1f}" if mp >= 0.95 else f"{mp:.2f}".rstrip("0").rstrip(".") if mp >= 0.01 \
        else "< 0.01"
    return f"{m.info.width} × {m.info.height} · {shown} MP"


def facts(m: Member, similarity: float | None = None) -> dict[str, str]:
    """What the card shows; ``similarity`` is to the photo beside it (else to the centre)."""
    info = m.info
    return {
        "Resolution": megapixels(m),
        "File size": human_size(m.entry.size),
        "Format": (info.format if info else m.entry.kind).upper(),
        "Taken": (info.taken if info and info.taken else "no EXIF date"),
        "Similarity": f"{m.similarity if similarity is None else similarity:.3f}" +
                      (" · contains the other" if m.shows_another else ""),
        "Path": m.entry.rel,
    }


def differences(a: Member, b: Member) -> set[str]:
    """The fields whose values differ between two photos (Similarity and Path aside)."""
    fa, fb = facts(a), facts(b)
    return {k for k in ("Resolution", "Format", "File size", "Taken") if fa[k] != fb[k]}


@dataclass(frozen=True)
class Suggestion:
    index: int  # member index of the suggested keeper
    reason: str


def suggest(group: Group, reference: list[bool] | None = None, read: bool = True) -> Suggestion:
    """The core's keeper rule (review/keeper.py: the original, by evidence read
    from the files, or by the listed facts alone without ``read``); with reference
    flags, a reference photo when the group has one."""
    index, reason = suggest_keeper(group.members, read=read, reference=reference)
    return Suggestion(index, reason)


def suggest_all(todo: list[tuple[object, Group, list[bool]]], cache_path: Path | None,
                chunk: int = 256) -> list[tuple[object, Suggestion]]:
    """(key, suggestion) of each (key, group, reference flags), 256 groups at a
    time: their evidence first read ahead in threads, from the scan's cache where
    it holds it (and put there otherwise), then the keeper rule group by group."""
    from duplicalt.photos.cache import Cache, default_cache_path
    from duplicalt.review.evidence_store import read_ahead_stored

    out: list[tuple[object, Suggestion]] = []
    cache = Cache(cache_path or default_cache_path(), check=False)  # checked by the scan
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start:start + chunk]
            read_ahead_stored([m.entry for _, g, _ in part for m in g.members], cache)
            out += [(key, suggest(g, flags)) for key, g, flags in part]
    finally:
        cache.close()
    return out


def pair_similarity(group: Group, a: int, b: int) -> float | None:
    """The similarity between members a and b, as the scan measured it."""
    a, b = min(a, b), max(a, b)
    for i, j, s in group.pairs:
        if i == a and j == b:
            return float(s)
    if a == 0:
        return float(group.members[b].similarity)
    return None
