"""What the review shows about each photo, and the suggested keeper (no Qt)."""
from __future__ import annotations

from dataclasses import dataclass

from duplicalt.core import report
from duplicalt.core.types import Group, Member

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
    return f"{m.info.width} × {m.info.height}  ({mp:.1f} MP)"


def facts(m: Member) -> dict[str, str]:
    info = m.info
    return {
        "Resolution": megapixels(m),
        "File size": human_size(m.entry.size),
        "Format": (info.format if info else m.entry.kind).upper(),
        "Taken": (info.taken if info and info.taken else "no EXIF date"),
        "Similarity": f"{m.similarity:.3f}",
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


def _fallback(group: Group) -> Suggestion:
    """Highest resolution, then larger file, then an EXIF date present."""
    def key(k: int):
        m = group.members[k]
        px = m.info.width * m.info.height if m.info else 0
        return (px, m.entry.size, bool(m.info and m.info.taken), -k)

    best = max(range(len(group.members)), key=key)
    return Suggestion(best, "highest resolution, then largest file")


def suggest(group: Group) -> Suggestion:
    """The core's keeper rule (duplicalt.core.suggest through the report)."""
    try:
        files = report.group_dict(0, group)["files"]
    except ImportError:  # the rule's module is not installed: same rule, simplified
        return _fallback(group)
    for k, f in enumerate(files):
        if f.get("suggested"):
            return Suggestion(k, str(f.get("reason") or "suggested"))
    return _fallback(group)
