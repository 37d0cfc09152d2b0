"""Which photo of a group to keep: highest resolution, then larger file, then
one with an EXIF date, then the shorter path (then the first by name)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

CRITERIA = ("highest resolution", "largest file", "has EXIF date", "shortest path")


@dataclass(frozen=True)
class KeeperFacts:
    rel: str
    size: int = 0
    width: int = 0
    height: int = 0
    taken: str | None = None


def facts_of(member: Any) -> KeeperFacts:
    """KeeperFacts from a types.Member, a decisions.DecisionFile, a scan-JSON dict,
    or a KeeperFacts."""
    if isinstance(member, KeeperFacts):
        return member
    if isinstance(member, dict):
        return KeeperFacts(str(member.get("rel") or member.get("path") or ""),
                           int(member.get("size") or 0), int(member.get("width") or 0),
                           int(member.get("height") or 0), member.get("taken") or None)
    entry = getattr(member, "entry", member)  # Member wraps a FileEntry
    info = getattr(member, "info", member)
    return KeeperFacts(str(getattr(entry, "rel", "") or getattr(entry, "path", "")),
                       int(getattr(entry, "size", 0) or 0), int(getattr(info, "width", 0) or 0),
                       int(getattr(info, "height", 0) or 0), getattr(info, "taken", None) or None)


def _key(f: KeeperFacts) -> tuple:
    """Larger is better, criterion by criterion (same order as CRITERIA)."""
    return (f.width * f.height, f.size, f.taken is not None, -len(f.rel))


def suggest_keeper(members: Sequence[Any]) -> tuple[int, str]:
    """(index of the member to keep, reason). Raises ValueError for no members."""
    facts = [facts_of(m) for m in members]
    if not facts:
        raise ValueError("an empty group has no keeper")
    if len(facts) == 1:
        return 0, "only file"
    order = sorted(range(len(facts)), key=lambda i: (tuple(-v for v in _key(facts[i])),
                                                     facts[i].rel, i))
    best, runner_up = order[0], order[1]
    for name, a, b in zip(CRITERIA, _key(facts[best]), _key(facts[runner_up])):
        if a != b:
            return best, name
    return best, "first by name"
