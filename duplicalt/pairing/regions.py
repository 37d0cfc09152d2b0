"""Pairs found through region vectors: a picture inside a photo (an album
page, a window, a screenshot) meets the whole of another photo.

Each region vector is a query against the scan's photo vectors (never against
other regions, never against its own photo): its ``k`` nearest photos, in
blocks of queries and of photos, memory O(queries x k) plus one tile of
products. A pair's similarity is the best over the photo's own vector and its
regions; its excess (pairing.density) is the region's cosine minus the larger
of the region's background (its RANK-th nearest photo) and the partner's.
Each pair remembers the region it was found through (``Pairs.region``, -1 for
whole to whole), so the verifier can match that part alone.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from threadpoolctl import threadpool_limits

from duplicalt.pairing import density
from duplicalt.pairing.grouping import Pairs

QUERY_BLOCK = 1024  # region rows per product
TILE = 1 << 21  # similarities computed at once (8 MB, ~50 MB with their ranks and copies)
K = density.RANK + 8  # photos kept per region (the background is the RANK-th)


@dataclass(frozen=True, eq=False)
class Regions:
    """Region vectors of a scan: ``owner[r]`` is the row (in the scan's photo
    matrix) of the photo region r lies in; ``boxes[r]`` its box as fractions."""

    vectors: np.ndarray  # (m, dim) float16
    owner: np.ndarray  # (m,) int64
    boxes: np.ndarray  # (m, 4) float32
    key: str = ""  # how the regions were found (the embedder's regions_key): a changed
    # cut gives other boxes, so region verdicts are cached under it

    @classmethod
    def empty(cls, dim: int, key: str = "") -> "Regions":
        return cls(np.zeros((0, dim), np.float16), np.zeros(0, np.int64),
                   np.zeros((0, 4), np.float32), key)

    def __len__(self) -> int:
        return len(self.owner)


def _nearest(queries: np.ndarray, owner: np.ndarray, base: np.ndarray, k: int):
    """(idx (m, k) int64, sims (m, k) float32): each query's best base rows, its
    owner excluded, most similar first (-1 / -inf padded). Products are taken
    TILE similarities at a time, each tile cut to its best k before it meets the
    running best, so memory is O(m k) plus one tile however many photos."""
    m, n = len(queries), len(base)
    k = max(1, min(k, n - 1))
    idx = np.full((m, k), -1, np.int64)
    sims = np.full((m, k), -np.inf, np.float32)
    for qs in range(0, m, QUERY_BLOCK):
        q = np.asarray(queries[qs:qs + QUERY_BLOCK], np.float32)
        own = owner[qs:qs + len(q)]
        step = max(k + 1, TILE // len(q))
        for bs in range(0, n, step):
            s = q @ np.asarray(base[bs:bs + step], np.float32).T
            hit = np.flatnonzero((own >= bs) & (own < bs + s.shape[1]))
            s[hit, own[hit] - bs] = -np.inf
            kk = min(k, s.shape[1])
            top = np.argpartition(-s, kk - 1, axis=1)[:, :kk] if kk < s.shape[1] \
                else np.broadcast_to(np.arange(kk), (len(q), kk))
            cand_s = np.concatenate([sims[qs:qs + len(q)], np.take_along_axis(s, top, axis=1)], 1)
            cand_i = np.concatenate([idx[qs:qs + len(q)], top + bs], 1)
            best = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
            sims[qs:qs + len(q)] = np.take_along_axis(cand_s, best, axis=1)
            idx[qs:qs + len(q)] = np.take_along_axis(cand_i, best, axis=1)
    idx[~np.isfinite(sims)] = -1
    return idx, np.minimum(sims, 1.0)


def region_pairs(regions: Regions, vectors: np.ndarray, floor: float, bg: np.ndarray,
                 k: int = K) -> Pairs:
    """Pairs (photo, photo) with a region of one within ``floor`` of the other's
    vector, the best region per pair; ``bg`` is each photo's background."""
    n = len(vectors)
    if not len(regions) or n < 2:
        empty = np.zeros(0, np.int64)
        return Pairs(empty, empty, np.zeros(0, np.float32), floor, n, None,
                     np.zeros(0, np.float32), np.zeros(0, np.int32))
    with threadpool_limits(1, user_api="blas"):
        idx, sims = _nearest(regions.vectors, regions.owner, vectors, k)
    region_bg = sims[:, min(density.RANK, idx.shape[1]) - 1]  # _nearest keeps k >= 1
    region_bg = np.where(np.isfinite(region_bg), region_bg, -1.0)
    r, c = np.nonzero((idx >= 0) & (sims >= floor - 1e-6))
    a, b, s = regions.owner[r], idx[r, c], sims[r, c]
    ex = (s - np.maximum(region_bg[r], bg[b])).astype(np.float32)
    i, j = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((-s, j, i))  # per pair the best region first
    i, j, s, ex, r = i[order], j[order], s[order], ex[order], r[order]
    first = np.ones(len(i), bool)  # no region may clear the floor: then no pair at all
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    return Pairs(i[first], j[first], s[first].astype(np.float32), floor, n, None, ex[first],
                 r[first].astype(np.int32))


def one_partner_per_page(pairs: Pairs, regions: Regions | None) -> Pairs:
    """The pairs with each photo's region pairs cut to those through its best
    region. A photo that shows several pictures of the library (an album page, a
    screenshot of a gallery, a collage) would otherwise be the centre of one
    group holding all of them, different photos grouped through it; it stays
    with the picture it shows best and that picture's copies (the pairs through
    that one region; whole-to-whole pairs are kept as they are)."""
    if regions is None or not len(regions) or pairs.region is None:
        return pairs
    through = np.flatnonzero(pairs.region >= 0)
    if len(through) < 2:
        return pairs
    page = regions.owner[pairs.region[through]]
    order = np.lexsort((-pairs.sim[through], page))
    first = order[np.r_[True, page[order][1:] != page[order][:-1]]]
    best = np.full(int(page.max()) + 1, -1, np.int64)
    best[page[first]] = pairs.region[through[first]]
    keep = pairs.region < 0
    keep[through] = pairs.region[through] == best[page]
    return pairs.subset(keep)


def shown_by_page(pairs: Pairs, regions: Regions | None) -> dict[int, dict[int, float]]:
    """Each photo that shows others inside it: {page row: {shown row: the
    region's similarity}} over the pairs found through its regions."""
    out: dict[int, dict[int, float]] = {}
    if regions is None or not len(regions) or pairs.region is None:
        return out
    for k in np.flatnonzero(pairs.region >= 0).tolist():
        page, a, b = int(regions.owner[pairs.region[k]]), int(pairs.i[k]), int(pairs.j[k])
        out.setdefault(page, {})[b if page == a else a] = float(pairs.sim[k])
    return out


def merged(whole: Pairs, extra: Pairs) -> Pairs:
    """The union of whole-to-whole and region pairs, one per photo pair: the
    higher similarity wins (with its excess and region)."""
    region = whole.region if whole.region is not None else np.full(len(whole.i), -1, np.int32)
    if not len(extra.i):
        return replace(whole, region=region)
    n = max(whole.n, extra.n, 1)
    i = np.concatenate([whole.i, extra.i])
    j = np.concatenate([whole.j, extra.j])
    s = np.concatenate([whole.sim, extra.sim])
    ex = np.concatenate([_excess(whole), _excess(extra)])
    rg = np.concatenate([region, extra.region])
    order = np.lexsort((-s, i * n + j))
    key = (i * n + j)[order]
    first = order[np.r_[True, key[1:] != key[:-1]]]
    return Pairs(i[first], j[first], s[first], whole.floor, whole.n, None, ex[first], rg[first])


def _excess(p: Pairs) -> np.ndarray:
    return p.excess if p.excess is not None else np.full(len(p.i), np.inf, np.float32)
