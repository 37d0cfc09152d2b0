"""Region boxes: the pictures inside a larger picture (an album page, a
screenshot, a window, a collage with gaps), found by cutting along plain lines.

A recursive XY-cut: inside a box, runs of uniform rows (or columns) that do not
touch its edges split it into bands, and each band is cut again, the other way,
until no plain line crosses it. The leaves big enough to be a photo (not the
whole picture, not a line of text or a small icon) are the regions; each is
embedded like a photo of its own (embed.BatchEmbedder) so a copy framed by
something else meets its original. An ordinary photo has no internal plain
line and so no region: it costs one cheap look at a small copy.
NumPy + Pillow only.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

VERSION = 2  # in the model id: region vectors of another version are embedded again
ANALYSIS = 256  # long side of the copy the cuts are looked for in
TOLERANCE = 20  # max channel difference from the line's median colour
SHARE = 0.98  # share of a line's pixels within the tolerance for it to be plain
MIN_GAP = 2  # plain lines in a row needed to cut (at the analysis size)
MIN_AREA = 0.04  # a region covers at least this share of the (trimmed) picture
MAX_AREA = 0.6  # and at most this share (a bigger one is nearly the picture itself)
MIN_SIDE = 24  # pixels at the analysis size
MAX_ASPECT = 3.0  # long side / short side of a region
MAX_DEPTH = 4
MAX_REGIONS = 6  # largest kept
MIN_PICTURE = 96  # long side of the smallest picture looked into (a 64-px photo holds none)


def _plain(lines: np.ndarray) -> np.ndarray:
    """Per line (rows of ``lines``: (n, length, 3) int16) whether it is one colour:
    SHARE of its pixels within TOLERANCE, in every channel, of the line's median
    colour (the median of every 4th pixel: the reference need not be exact)."""
    ref = np.median(lines[:, ::4], axis=1, keepdims=True)
    d = np.abs(lines - ref)
    far = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])
    return np.count_nonzero(far <= TOLERANCE, axis=1) >= SHARE * lines.shape[1]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the runs of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _lines(a: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    """Which rows and which columns of ``box`` are plain."""
    l, t, r, b = box
    return _plain(a[t:b, l:r]), _plain(a[t:b, l:r].transpose(1, 0, 2))


def _shrink(a: np.ndarray, box: tuple[int, int, int, int], lines=None
            ) -> tuple[int, int, int, int] | None:
    """``box`` without the plain lines along its edges (None when all is plain);
    ``lines``: its rows' and columns' plainness, when already known."""
    l, t, _, _ = box
    plain_rows, plain_cols = lines if lines is not None else _lines(a, box)
    rows, cols = np.flatnonzero(~plain_rows), np.flatnonzero(~plain_cols)
    if not len(rows) or not len(cols):
        return None
    return l + int(cols[0]), t + int(rows[0]), l + int(cols[-1]) + 1, t + int(rows[-1]) + 1


def _bands(plain: np.ndarray) -> list[tuple[int, int]]:
    """The stretches between internal runs of >= MIN_GAP plain lines."""
    cuts = [(s, e) for s, e in _runs(plain) if e - s >= MIN_GAP and s > 0 and e < len(plain)]
    bounds = [0] + [x for s, e in cuts for x in (s, e)] + [len(plain)]
    return [(bounds[k], bounds[k + 1]) for k in range(0, len(bounds), 2)
            if bounds[k + 1] > bounds[k]]


def _cut(a: np.ndarray, box, depth: int, out: list, shrunk: bool = False) -> None:
    box = box if shrunk else _shrink(a, box)
    if box is None:
        return
    l, t, r, b = box
    sub = a[t:b, l:r]
    rows = _bands(_plain(sub))
    if len(rows) > 1 and depth < MAX_DEPTH:
        for s, e in rows:
            _cut(a, (l, t + s, r, t + e), depth + 1, out)
        return
    cols = _bands(_plain(sub.transpose(1, 0, 2)))
    if len(cols) > 1 and depth < MAX_DEPTH:
        for s, e in cols:
            _cut(a, (l + s, t, l + e, b), depth + 1, out)
        return
    out.append(box)


def _photo_like(box, area: float) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return (min(w, h) >= MIN_SIDE and max(w, h) <= MAX_ASPECT * min(w, h)
            and MIN_AREA * area <= w * h <= MAX_AREA * area)


def region_boxes(img: Image.Image, max_regions: int = MAX_REGIONS
                 ) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) boxes in ``img``'s pixels of the pictures found
    inside it, largest first; [] for an ordinary photo."""
    if max_regions <= 0 or max(img.size) < MIN_PICTURE or min(img.size) < 16:
        return []
    small = img.convert("RGB")
    scale = ANALYSIS / max(small.size)
    if scale < 1:
        small = small.resize((max(1, round(small.width * scale)), max(1, round(small.height * scale))),
                             Image.BILINEAR, reducing_gap=2.0)
    a = np.asarray(small, dtype=np.int16)
    box = (0, 0, a.shape[1], a.shape[0])
    lines = _lines(a, box)
    if not lines[0].any() and not lines[1].any():
        return []  # no plain line at all (most photos): nothing to shrink or cut
    whole = _shrink(a, box, lines)
    if whole is None:
        return []
    leaves: list = []
    _cut(a, whole, 0, leaves, shrunk=True)
    area = (whole[2] - whole[0]) * (whole[3] - whole[1])
    kept = sorted((bx for bx in leaves if _photo_like(bx, area)),
                  key=lambda bx: -(bx[2] - bx[0]) * (bx[3] - bx[1]))[:max_regions]
    fx, fy = img.width / a.shape[1], img.height / a.shape[0]
    return [(int(l * fx), int(t * fy), min(img.width, round(r * fx)), min(img.height, round(b * fy)))
            for l, t, r, b in kept]
