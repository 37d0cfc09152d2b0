"""Which photo of a group to keep: the original, judged by evidence.

Two photos are compared rule by rule; the first rule that tells them apart
decides, and its sentence is the reason shown:

1. a page, screenshot or collage that shows the other photo inside it is not its original
2. an added frame (border, letterbox, the filled corners of a rotated copy) marks the copy
3. colour beats a grayscale copy
4. an added caption or overlay (a small region that differs, with more edges) marks the copy
5. camera EXIF (make/model) beats none
6. a capture date beats none; the earlier date wins
7. higher resolution
8. much less compressed (JPEG quality 25+ higher)
9. clearly sharper (Laplacian energy relative to contrast, 1.6x)
10. the JPEG beats a lossless file that shows JPEG's 8x8 blocks (a re-encode)
11. higher JPEG quality, then the larger file, then the shorter path, then the name

The photo that wins most comparisons is the keeper (ties: the one that won
between them). Evidence comes from the file itself (review/evidence.py); a
member whose file cannot be read is judged on its listed facts alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from duplicalt.review.evidence import LOSSLESS, Evidence, decoded_from, evidence

SHARPER = 1.6
MORE_MARGIN = 0.02  # share of the picture an added frame takes at least
FILLS = 0.985  # a photo fills a frame's inside when it has this share of its pixels
OVERLAY_SHARE = (0.0005, 0.06)  # share of a thumbnail an added caption changes
OVERLAY_REST = 0.07  # the median difference elsewhere (a crop or a flip is larger)
MUCH_BETTER_QUALITY = 25


@dataclass(frozen=True)
class KeeperFacts:
    rel: str
    size: int = 0
    width: int = 0
    height: int = 0
    taken: str | None = None
    path: str = ""  # the file to read evidence from ("" : facts only)
    mtime_ns: int = 0
    shows_another: bool = False  # shows another member inside a larger picture
    ev: Evidence = field(default_factory=Evidence, compare=False)


def facts_of(member: Any, read: bool = True) -> KeeperFacts:
    """KeeperFacts from a types.Member, a decisions.DecisionFile, a scan-JSON dict,
    or a KeeperFacts; with ``read``, the file's evidence too (when it exists)."""
    if isinstance(member, KeeperFacts):
        f = member
    elif isinstance(member, dict):
        f = KeeperFacts(str(member.get("rel") or member.get("path") or ""),
                        int(member.get("size") or 0), int(member.get("width") or 0),
                        int(member.get("height") or 0), member.get("taken") or None,
                        str(member.get("path") or ""), int(member.get("mtime_ns") or 0),
                        bool(member.get("shows_another")))
    else:
        entry = getattr(member, "entry", member)  # Member wraps a FileEntry
        info = getattr(member, "info", member)
        path = getattr(entry, "path", "")
        f = KeeperFacts(str(getattr(entry, "rel", "") or path),
                        int(getattr(entry, "size", 0) or 0), int(getattr(info, "width", 0) or 0),
                        int(getattr(info, "height", 0) or 0), getattr(info, "taken", None) or None,
                        str(path or ""), int(getattr(entry, "mtime_ns", 0) or 0),
                        bool(getattr(member, "shows_another", False)))
    if read and f.path and not f.ev.format and Path(f.path).is_file():
        f = replace(f, ev=evidence(Path(f.path), f.size, f.mtime_ns))
    return f


Rule = Callable[[KeeperFacts, KeeperFacts], "str | None"]  # a reason if a beats b


FRAMES = {"border": "the other photo has an added border or frame",
          "letterbox": "the other photo has added letterbox bars",
          "filled corners": "the other photo is a rotated copy (filled corners)"}


def _shown_inside(a: KeeperFacts, b: KeeperFacts) -> str | None:
    """b shows a inside a larger picture (an album page, a screenshot, a collage)."""
    if b.shows_another and not a.shows_another:
        return ("the other file shows this photo inside a larger picture (a page, a screenshot, "
                "a collage, a padded export)")
    return None


def _frame(a: KeeperFacts, b: KeeperFacts) -> str | None:
    """b is a framed copy of a: b is larger, has a frame (or clearly more of one),
    and a fills what is inside it (a crop of a framed original shows less)."""
    if not a.ev.format or not b.ev.format:
        return None
    if b.ev.frame == "filled corners" and a.ev.frame != "filled corners":
        return FRAMES["filled corners"]
    if not b.ev.frame or _pixels(b) <= _pixels(a):
        return None
    if _pixels(a) < FILLS * (1.0 - b.ev.margin) * _pixels(b):
        return None
    if not a.ev.frame or b.ev.margin > a.ev.margin + MORE_MARGIN:
        return FRAMES.get(b.ev.frame, FRAMES["border"])
    return None


def _colour(a: KeeperFacts, b: KeeperFacts) -> str | None:
    if b.ev.grey and not a.ev.grey and a.ev.format:
        return "colour (the other photo is a grayscale copy)"
    return None


def _overlay(a: KeeperFacts, b: KeeperFacts) -> str | None:
    """b has a small region that differs from a, with more edges in it than a has."""
    ta, tb = a.ev.thumb, b.ev.thumb
    if ta is None or tb is None or abs(a.ev.aspect - b.ev.aspect) > 0.02 * max(a.ev.aspect, 1e-6):
        return None
    diff = _fitted_diff(ta, tb)
    mask = diff > 1.0
    share = float(mask.mean())
    if not OVERLAY_SHARE[0] < share < OVERLAY_SHARE[1] or float(np.median(diff)) > OVERLAY_REST:
        return None
    edges_a, edges_b = _edges(ta)[mask].sum(), _edges(tb)[mask].sum()
    return "no added caption or overlay" if edges_b > 1.2 * edges_a else None


def _fitted_diff(ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """|a - b| after matching b's brightness and contrast to a's on the pixels that
    agree best (an overlay shifts a plain normalisation; it does not shift this)."""
    x, y = ta.ravel(), tb.ravel()
    first = np.abs(x - y)
    keep = first <= np.quantile(first, 0.8)
    if keep.sum() < 16:
        return first.reshape(ta.shape)
    slope, offset = _line(y[keep], x[keep])
    return np.abs(ta - (slope * tb + offset))


def _line(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """The least-squares x ~ slope * y + offset, in closed form (np.polyfit took
    0.9 ms a pair, most of a 45k library's keeper time); polyfit itself where
    y is (nearly) constant."""
    y64, x64 = y.astype(np.float64), x.astype(np.float64)
    dy = y64 - y64.mean()
    var = float(dy @ dy)
    if var <= 1e-9 * len(y64):
        slope, offset = np.polyfit(y, x, 1)
        return float(slope), float(offset)
    slope = float(dy @ (x64 - x64.mean())) / var
    return slope, float(x64.mean() - slope * y64.mean())


def _edges(t: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(t)
    return np.hypot(gx, gy)


def _camera(a: KeeperFacts, b: KeeperFacts) -> str | None:
    if a.ev.camera and not b.ev.camera:
        return f"camera EXIF ({a.ev.camera})"
    return None


def _date(a: KeeperFacts, b: KeeperFacts) -> str | None:
    ta, tb = a.taken or a.ev.taken, b.taken or b.ev.taken
    if ta and not tb:
        return "has the capture date (EXIF)"
    if ta and tb and ta < tb:
        return "earlier capture date"
    return None


def _pixels(f: KeeperFacts) -> int:
    return f.width * f.height or f.ev.pixels


def _resolution(a: KeeperFacts, b: KeeperFacts) -> str | None:
    return "highest resolution" if _pixels(a) > _pixels(b) else None


def _much_less_compressed(a: KeeperFacts, b: KeeperFacts) -> str | None:
    qa, qb = a.ev.quality, b.ev.quality
    if qa and qb and qa - qb >= MUCH_BETTER_QUALITY:
        return f"less compressed (JPEG quality {qa} vs {qb})"
    return None


def _sharper(a: KeeperFacts, b: KeeperFacts) -> str | None:
    if a.ev.sharpness > SHARPER * b.ev.sharpness > 0:
        return "sharper (the other photo is blurred)"
    return None


def _format(a: KeeperFacts, b: KeeperFacts) -> str | None:
    if a.ev.format not in ("JPEG", "MPO") or b.ev.format not in LOSSLESS:
        return None
    if b.ev.jpeg_grid or (a.ev.pixels == b.ev.pixels and decoded_from(Path(a.path), Path(b.path))):
        return f"original JPEG (the {b.ev.format} is a lossless re-encode of it)"
    return None


def _quality(a: KeeperFacts, b: KeeperFacts) -> str | None:
    qa, qb = a.ev.quality, b.ev.quality
    return f"higher JPEG quality ({qa} vs {qb})" if qa and qb and qa > qb + 2 else None


def _size(a: KeeperFacts, b: KeeperFacts) -> str | None:
    return "largest file" if a.size > b.size else None


def _path(a: KeeperFacts, b: KeeperFacts) -> str | None:
    return "shortest path" if len(a.rel) < len(b.rel) else None


def _name(a: KeeperFacts, b: KeeperFacts) -> str | None:
    return "first by name" if a.rel < b.rel else None


RULES: tuple[Rule, ...] = (_shown_inside, _frame, _colour, _overlay, _camera, _date, _resolution,
                           _much_less_compressed, _sharper, _format, _quality, _size, _path, _name)


def compare(a: KeeperFacts, b: KeeperFacts) -> tuple[int, str]:
    """(+1 if a is the better file, -1 if b, 0 if nothing tells them apart; the reason)."""
    for rule in RULES:
        reason = rule(a, b)
        if reason:
            return 1, reason
        reason = rule(b, a)
        if reason:
            return -1, reason
    return 0, "first listed"


def suggest_keeper(members: Sequence[Any], read: bool = True,
                   reference: Sequence[bool] | None = None) -> tuple[int, str]:
    """(index of the member to keep, reason). With ``reference`` flags, the keeper
    is one of the reference photos when the group has any. Raises ValueError for
    no members."""
    if not members:
        raise ValueError("an empty group has no keeper")
    refs = [k for k, r in enumerate(reference or ()) if r]
    if refs and len(refs) < len(members):
        if len(refs) == 1:
            return refs[0], "in a reference folder"
        k, reason = suggest_keeper([members[i] for i in refs], read)
        return refs[k], f"in a reference folder; {reason}"
    return _best([facts_of(m, read) for m in members])


ALL_PAIRS = 8  # groups up to this size compare every pair; larger ones one pass


def _best(facts: list[KeeperFacts]) -> tuple[int, str]:
    if len(facts) == 1:
        return 0, "only file"
    n = len(facts)
    if n > ALL_PAIRS:  # the winner so far meets each next photo: n - 1 comparisons
        best = 0
        for k in range(1, n):
            if compare(facts[k], facts[best])[0] > 0:
                best = k
        other = 1 if best == 0 else 0
        sign, reason = compare(facts[best], facts[other])
        return best, reason if sign > 0 else "first listed"
    outcome = {}
    wins = [0] * n
    for i in range(n):
        for j in range(i + 1, n):
            sign, reason = compare(facts[i], facts[j])
            outcome[i, j], outcome[j, i] = (sign, reason), (-sign, reason)
            if sign:
                wins[i if sign > 0 else j] += 1
    order = sorted(range(n), key=lambda k: (-wins[k], k))
    best, runner_up = order[0], order[1]
    if wins[best] == wins[runner_up] and outcome[runner_up, best][0] > 0:
        best, runner_up = runner_up, best
    sign, reason = outcome[best, runner_up]
    return best, reason if sign > 0 else "first listed"
