"""Region boxes: the pictures inside a larger picture (an album page, a
screenshot, a window, a collage with gaps), found by cutting along plain lines.

A recursive XY-cut: inside a box, runs of uniform rows (or columns) that do not
touch its edges split it into bands, and each band is cut again, the other way,
until no plain line crosses it. The leaves big enough to be a photo (not the
whole picture, not a line of text or a small icon) are the regions; each is
embedded like a photo of its own (embed.BatchEmbedder) so a copy framed by
something else meets its original. An ordinary photo has no internal plain
line and so no region: it costs one cheap look at a small copy.

Pictures butted together without a gap (a phone-app mosaic) are cut where
the picture jumps along a straight line through most of it (_seams); a leaf
with almost no fine detail (a smooth strip, a sky) is no region.

A photo padded onto a blurred copy of itself (the story or messenger export)
has no plain line either: there the region is the sharp picture between two
smooth bands of equal width whose ends step up in detail along the whole
picture (backdrop_box). An object on a smooth studio backdrop or a blurred
background is sharp only along its own outline and gets none (3 of 2,192
calibration photos did).
NumPy + Pillow only.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

VERSION = 4  # in the model id: region vectors of another version are embedded again
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
SOFT = 0.45  # a backdrop line's detail (smoothed), at most this share of the middle's
SOFT_MEAN = 0.3  # and the band's mean detail at most this share
SHARP_AFTER = 0.5  # the STEP lines after the band at least this share on average
STEP = 4
SEAM_STEP = 64  # a seam's jump in grey (R + 2G + B) plus chroma (R - B), at least
SEAM_SHARE = 0.5  # along this share of the line
SMOOTH_LEAF = 0.25  # a region's mean detail, at least this share of the whole picture's
EDGE_SHARE = 0.5  # share of the picture's lines that must step up in detail at a band's end
MIN_BAND = 0.04  # a backdrop band covers at least this share of its side
BAND_AGREE = 0.35  # the two bands of one axis differ by at most this share of the wider


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


def _seams(planes: np.ndarray) -> list[int]:
    """Rows y of a picture, given as (2, h, w) int16 planes (grey R + 2G + B
    and chroma R - B), where two pictures butted together meet (a mosaic
    without gaps): across the line the picture jumps (rows y-2 and y+1 differ,
    summed over the planes, by more than SEAM_STEP and by twice the change
    within three rows on either side) along SEAM_SHARE of its length; local
    maxima only, at least MIN_SIDE from the edges. A photo's own edges rarely
    run straight through the whole picture."""
    h = planes.shape[1]
    if h < 2 * MIN_SIDE:
        return []
    lo, hi = MIN_SIDE, h - MIN_SIDE + 1
    cross = np.abs(planes[:, lo + 1:hi + 1] - planes[:, lo - 2:hi - 2]).sum(axis=0)
    big = cross > SEAM_STEP
    share = np.count_nonzero(big, axis=1) / planes.shape[2]
    rows = np.flatnonzero(share >= SEAM_SHARE)  # most lines stop here (cheap to rule out)
    if not len(rows):
        return []
    y = rows + lo
    within = np.maximum(np.abs(planes[:, y - 2] - planes[:, y - 5]).sum(axis=0),
                        np.abs(planes[:, y + 4] - planes[:, y + 1]).sum(axis=0))
    share[:] = 0
    share[rows] = np.count_nonzero(big[rows] & (cross[rows] > 2 * within), axis=1) / planes.shape[2]
    peak = share >= SEAM_SHARE
    peak[1:] &= share[1:] >= share[:-1]
    peak[:-1] &= share[:-1] > share[1:]
    return (np.flatnonzero(peak) + lo).tolist()


def _split(seams: list[int], n: int) -> list[tuple[int, int]]:
    bounds = [0] + seams + [n]
    return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]


def _cut(a: np.ndarray, planes: np.ndarray, box, depth: int, out: list, shrunk: bool = False,
         lines=None) -> None:
    """Cut ``box`` along its plain lines, else along its seams, recursively;
    the leaves go to ``out``. ``planes``: the grey and chroma planes of ``a``
    (_seams); ``lines``: the box's plain rows and columns when known."""
    box = box if shrunk else _shrink(a, box)
    if box is None:
        return
    l, t, r, b = box
    sub = a[t:b, l:r]
    plain_rows, plain_cols = lines if lines is not None else (_plain(sub), None)
    rows = _bands(plain_rows)
    cols = [] if len(rows) > 1 else _bands(plain_cols if plain_cols is not None
                                           else _plain(sub.transpose(1, 0, 2)))
    if depth < MAX_DEPTH and len(rows) < 2 and len(cols) < 2:
        rows = _split(_seams(planes[:, t:b, l:r]), b - t)
        cols = _split(_seams(planes[:, t:b, l:r].transpose(0, 2, 1)), r - l) if len(rows) < 2 else []
    if len(rows) > 1 and depth < MAX_DEPTH:
        for s, e in rows:
            _cut(a, planes, (l, t + s, r, t + e), depth + 1, out)
        return
    if len(cols) > 1 and depth < MAX_DEPTH:
        for s, e in cols:
            _cut(a, planes, (l + s, t, l + e, b), depth + 1, out)
        return
    out.append(box)


def _photo_like(box, area: float) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return (min(w, h) >= MIN_SIDE and max(w, h) <= MAX_ASPECT * min(w, h)
            and MIN_AREA * area <= w * h <= MAX_AREA * area)


def _soft_band(detail: np.ndarray) -> tuple[int, int] | None:
    """(leading, trailing) widths of the smooth bands at both ends of a detail
    profile, when both exist, agree in width (a centred paste) and the picture
    beside them is sharp (a step, not a photo's own gradual blur); else None."""
    n = len(detail)
    if n < 32:
        return None
    middle = float(np.median(detail[n // 3: n - n // 3]))
    if middle <= 0:
        return None
    d = detail / middle
    padded = np.pad(d, 2, mode="edge")
    m = int(np.ceil(MIN_BAND * n))  # both bands reach at least line m - 1: most photos stop here
    if np.count_nonzero(padded[m - 1:m + 4] <= SOFT) < 3 or \
            np.count_nonzero(padded[n - m:n - m + 5] <= SOFT) < 3:
        return None
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 5), axis=1)
    soft = smooth <= SOFT
    if soft.all():
        return None
    lead, trail = int(np.argmin(soft)), int(np.argmin(soft[::-1]))
    if min(lead, trail) < MIN_BAND * n or lead + trail > 0.8 * n or \
            abs(lead - trail) > BAND_AGREE * max(lead, trail):
        return None
    for band, after in ((d[:lead], d[lead:lead + STEP]), (d[n - trail:], d[n - trail - STEP:n - trail])):
        if band.mean() > SOFT_MEAN or after.mean() < SHARP_AFTER:
            return None
    return lead, trail


def _grey(a: np.ndarray) -> np.ndarray:
    """R + 2G + B of an (h, w, 3) int16 array (the grey the detail and seams use)."""
    return a[..., 0] + 2 * a[..., 1] + a[..., 2]


def _pixel_detail(g: np.ndarray) -> np.ndarray:
    """Fine detail at each pixel of a grey (h, w) int16 picture (R + 2G + B):
    |second differences| along both axes, 0 at the rim. A smoothed backdrop
    has almost none; a photo's own soft parts keep some."""
    out = np.zeros(g.shape, np.int16)
    out[1:-1] += np.abs(g[2:] + g[:-2] - 2 * g[1:-1])
    out[:, 1:-1] += np.abs(g[:, 2:] + g[:, :-2] - 2 * g[:, 1:-1])
    return out


def _pasted_edge(detail: np.ndarray, lead: int, trail: int) -> bool:
    """Whether the soft bands end at a pasted picture's edges: along most of
    the picture's height (rows of ``detail``, an (h, w) per-pixel detail map),
    the STEP columns inside each band's end hold more detail than the STEP
    columns outside it. An object on a smooth studio backdrop or in front of a
    blurred background is sharp only along its own outline, so it fails."""
    n = detail.shape[1]
    for inside, outside in ((slice(lead, lead + STEP), slice(max(0, lead - STEP), lead)),
                            (slice(n - trail - STEP, n - trail), slice(n - trail, n - trail + STEP))):
        sharp = detail[:, inside].mean(axis=1) > 2 * detail[:, outside].mean(axis=1) + 4
        if sharp.mean() < EDGE_SHARE:
            return False
    return True


def backdrop_box(a: np.ndarray, detail: np.ndarray | None = None
                 ) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of a photo pasted in the middle of a smoothed
    backdrop (a story or messenger export padded with a blurred copy of
    itself), on an (h, w, 3) int16 analysis array (``detail``: its
    _pixel_detail, when known); None for anything else. A uniform border is no
    backdrop here: trimming cuts it already."""
    if detail is None:
        detail = _pixel_detail(_grey(a))
    h, w = detail.shape
    cols, rows = _soft_band(detail.mean(axis=0)), _soft_band(detail.mean(axis=1))
    if cols is None and rows is None:
        return None  # most photos: no smooth band at both ends of either axis
    l, r = cols or (0, 0)
    t, b = rows or (0, 0)
    if cols is not None and not _pasted_edge(detail[t:h - b], l, r):
        cols, l, r = None, 0, 0
    if rows is not None and not _pasted_edge(detail[:, l:w - r].T, t, b):
        rows, t, b = None, 0, 0
    if cols is None and rows is None:
        return None
    band = a[:, :l].transpose(1, 0, 2) if l else a[:t]  # the leading band's lines
    if _plain(band).mean() > 0.5:
        return None
    return l, t, w - r, h - b


def region_boxes(img: Image.Image, max_regions: int = MAX_REGIONS
                 ) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) boxes in ``img``'s pixels of the pictures found
    inside it, largest first (the one picture on a blurred backdrop); [] for an
    ordinary photo."""
    if max_regions <= 0 or max(img.size) < MIN_PICTURE or min(img.size) < 16:
        return []
    small = img.convert("RGB")
    scale = ANALYSIS / max(small.size)
    if scale < 1:
        small = small.resize((max(1, round(small.width * scale)), max(1, round(small.height * scale))),
                             Image.BILINEAR, reducing_gap=2.0)
    a = np.asarray(small, dtype=np.int16)
    fx, fy = img.width / a.shape[1], img.height / a.shape[0]

    def in_image(l, t, r, b):
        return int(l * fx), int(t * fy), min(img.width, round(r * fx)), min(img.height, round(b * fy))

    grey = _grey(a)
    detail = _pixel_detail(grey)
    inner = backdrop_box(a, detail)
    if inner is not None:
        return [in_image(*inner)]
    box = (0, 0, a.shape[1], a.shape[0])
    lines = _lines(a, box)
    planes = np.stack([grey, a[..., 0] - a[..., 2]])
    leaves: list = []
    if not lines[0].any() and not lines[1].any():  # most photos: nothing to shrink, look for seams
        whole = box
        _cut(a, planes, whole, 0, leaves, shrunk=True, lines=lines)
    else:
        whole = _shrink(a, box, lines)
        if whole is None:
            return []
        _cut(a, planes, whole, 0, leaves, shrunk=True)
    area = (whole[2] - whole[0]) * (whole[3] - whole[1])
    sharp = SMOOTH_LEAF * float(detail.mean())
    kept = sorted((bx for bx in leaves if _photo_like(bx, area)
                   and detail[bx[1]:bx[3], bx[0]:bx[2]].mean() >= sharp),
                  key=lambda bx: -(bx[2] - bx[0]) * (bx[3] - bx[1]))[:max_regions]
    return [in_image(*bx) for bx in kept]
