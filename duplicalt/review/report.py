"""Scan results as JSON, CSV and a readable text summary."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from duplicalt.fileactions.safeio import show
from duplicalt.review.seal import seal
from duplicalt.pairing.types import Group, Member
from duplicalt.scan.types import ScanResult

JSON_VERSION = 1
MAX_LISTED_GROUPS = 30


def _path(path: Path) -> str:
    return os.fsdecode(path)


def member_dict(m: Member, reference: tuple[Path, ...] = ()) -> dict:
    info = m.info
    root = m.entry.root
    return {
        "path": _path(m.entry.path), "rel": m.entry.rel, "size": m.entry.size,
        "mtime_ns": m.entry.mtime_ns, "similarity": round(float(m.similarity), 4),
        "width": info and info.width, "height": info and info.height,
        "format": info.format if info else m.entry.kind.upper(), "taken": info and info.taken,
        "copy_of": _path(m.copy_of) if m.copy_of else None,
        "shows_another": bool(m.shows_another),
        "root": _path(root) if root else None,
        "reference": bool(root and root in reference),
    }


def group_dict(gid: int, g: Group, reference: tuple[Path, ...] = ()) -> dict:
    files = [member_dict(m, reference) for m in g.members]
    keep, reason = keeper_of(g.members, [f["reference"] for f in files])
    for k, f in enumerate(files):
        f["suggested"] = k == keep
        if k == keep:
            f["reason"] = reason
    return {"id": gid, "tier": g.tier, "centre": files[0]["path"], "files": files,
            "pairs": [list(p) for p in g.pairs]}


def to_dict(result: ScanResult, store=None) -> dict:
    """The scan as a JSON-ready dict; keeper evidence from ``store`` (the scan's
    cache, evidence_store) where it holds it."""
    return {
        "version": JSON_VERSION,
        "root": _path(result.root),
        "roots": [_path(r) for r in (result.roots or (result.root,))],
        "reference": [_path(r) for r in result.reference],
        "threshold": result.threshold,
        "model": result.model_id,
        "cancelled": result.stats.cancelled,
        "stats": {k: getattr(result.stats, k) for k in result.stats.__dataclass_fields__},
        "groups": _group_dicts(result, store),
        "unreadable": [{"path": _path(u.path), "reason": u.reason} for u in result.unreadable],
        "links": [{"path": _path(l.path), "target": _path(l.target), "kind": l.kind}
                  for l in result.links],
    }


def write_json(result: ScanResult, target: Path, store=None) -> None:
    """The scan as JSON, sealed (review/seal.py) so that apply moves only what it listed."""
    doc = to_dict(result, store)
    doc["seal"] = seal(doc)
    text = json.dumps(doc, indent=1)
    tmp = Path(str(target) + ".part")
    tmp.write_text(text + "\n", encoding="ascii")
    os.replace(tmp, target)


CSV_FIELDS = ["group", "tier", "path", "similarity", "suggested", "width", "height",
              "format", "size", "taken", "reference", "shows_another"]


def write_csv(result: ScanResult, target: Path, store=None) -> None:
    with open(target, "w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        out = csv.writer(f)
        out.writerow(CSV_FIELDS)
        for gid, g in enumerate(_group_dicts(result, store), 1):
            for m in g["files"]:
                out.writerow([gid, g["tier"], show(m["path"]), m["similarity"],
                              "yes" if m["suggested"] else "", m["width"], m["height"],
                              m["format"], m["size"], m["taken"] or "",
                              "yes" if m["reference"] else "",
                              "yes" if m["shows_another"] else ""])


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _more(result: ScanResult) -> str:
    extra = len(result.roots) - 1
    return f" and {_n(extra, 'more folder')}" if extra > 0 else ""


def summary(result: ScanResult, store=None) -> str:
    s = result.stats
    similar = len(result.similar)
    lines = [
        f"{'Cancelled: partial result for' if s.cancelled else 'Scanned'} {show(result.root)}"
        f"{_more(result)}: {s.files} photos in {s.seconds:.1f} s ({s.embedded} embedded now, {s.cached} from the "
        f"cache{', nothing re-embedded' if s.embedded == 0 and s.cached else ''}; "
        f"{s.identical_files} byte-identical copies).",
        f"{_n(len(result.groups) - similar, 'group')} of identical files, "
        f"{_n(similar, 'group')} of similar photos at threshold {result.threshold:.3f}; "
        f"{len(result.unreadable)} unreadable, {_n(len(result.links), 'link')}.",
    ]
    read_ahead(result.groups[:MAX_LISTED_GROUPS], store)
    for gid, g in enumerate(result.groups[:MAX_LISTED_GROUPS], 1):
        lines.append("")
        lines.append(f"[{gid}] {g.tier}, {len(g.members)} files")
        for m in group_dict(gid, g, result.reference)["files"]:
            dims = f"{m['width']}x{m['height']}" if m["width"] else "?"
            mark = "keep" if m["suggested"] else ("ref " if m["reference"] else "    ")
            shows = "  (shows another inside it)" if m["shows_another"] else ""
            lines.append(f"  {mark} {m['similarity']:.3f}  {dims:>11} {m['format']:<5} "
                         f"{_size(m['size']):>9}  {show(m['rel'])}{shows}")
    if len(result.groups) > MAX_LISTED_GROUPS:
        lines.append(f"\n... and {len(result.groups) - MAX_LISTED_GROUPS} more groups "
                     "(write them all with --json or --csv)")
    if result.unreadable:
        lines.append(f"\nUnreadable ({len(result.unreadable)}):")
        lines += [f"  {show(u.path)}: {u.reason}" for u in result.unreadable]
    if result.links:
        lines.append(f"\nLinks, never offered for removal ({len(result.links)}):")
        lines += [f"  {show(l.path)} -> {show(l.target)} ({l.kind})" for l in result.links]
    return "\n".join(lines)


def read_ahead(groups, store=None) -> None:
    """The keeper evidence of these groups' files, from ``store`` (the scan's
    cache) or read in threads beforehand (and then kept in ``store``)."""
    from duplicalt.review.evidence_store import read_ahead_stored

    read_ahead_stored([m.entry for g in groups for m in g.members], store)


def _group_dicts(result: ScanResult, store=None, chunk: int = 256) -> list[dict]:
    out = []
    for start in range(0, len(result.groups), chunk):
        groups = result.groups[start:start + chunk]
        read_ahead(groups, store)
        out += [group_dict(start + k + 1, g, result.reference) for k, g in enumerate(groups)]
    return out


def keeper_of(members, reference: list[bool]) -> tuple[int, str]:
    """The suggested keeper; in a group with reference photos, one of those."""
    from duplicalt.review.keeper import suggest_keeper

    return suggest_keeper(members, reference=reference)
