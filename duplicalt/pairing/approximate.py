"""Approximate neighbour pairs for large collections (no N x N work).

Used by grouping.neighbour_pairs above a size cut-off. Steps:

1. project the (float16 or float32) unit vectors onto a fixed random orthonormal
   basis of ``dim`` dimensions and re-normalise (a Johnson-Lindenstrauss sketch;
   the cosine of a pair moves by about (1 - c^2) / sqrt(dim));
2. k-means cells in the sketch; every vector probes its ``probes`` nearest cells
   (16 at floors >= 0.9, more below);
3. per cell, one matrix product of the probing vectors against the cell's
   members; sketch cosines above ``floor - margin`` are candidates;
4. candidates are re-scored on the full vectors and kept at >= floor.

Recall is measured by `duplicalt bench` (planted near-duplicates) and
tests/core/test_ann.py; the scores of the pairs found are exact.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import faiss
import numpy as np

try:  # one BLAS thread per worker thread: small products scale better that way
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

ROWS = 16384  # rows per projection or assignment task
TILE = 1 << 24  # similarities computed at once per worker (64 MB)
VERIFY_CHUNK = 1 << 20  # candidate pairs re-scored at a time


def workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def pool_map(fn, items: list) -> list:
    """``fn`` over ``items`` in worker threads, each with single-threaded BLAS and
    OpenMP (OpenMP's thread count is per thread: set in each worker)."""
    limit = threadpool_limits(1, user_api="blas") if threadpool_limits else nullcontext()
    with limit, ThreadPoolExecutor(workers(), initializer=faiss.omp_set_num_threads,
                                   initargs=(1,)) as pool:
        return list(pool.map(fn, items))


def sketch_dim(floor: float, d: int) -> int:
    """Smallest sketch (64, 128, 256) whose candidate cut stays >= 0.6, else d."""
    for dim in (64, 128, 256):
        if dim < d and floor - margin(floor, dim) >= 0.6:
            return dim
    return d


def margin(floor: float, dim: int) -> float:
    """How far below ``floor`` a true pair's sketch cosine may fall (4.5 sigma + slack)."""
    return 4.5 * (1.0 - floor * floor) / math.sqrt(dim) + 0.02


def project(vectors: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
    """Sketch rows on a random orthonormal basis, re-normalised (float32 n x dim)."""
    n, d = vectors.shape
    basis = None
    if dim < d:
        gauss = np.random.default_rng(seed).standard_normal((d, dim)).astype(np.float32)
        basis = np.linalg.qr(gauss)[0].astype(np.float32)
    out = np.empty((n, dim), np.float32)

    def run(s: int) -> None:
        block = np.asarray(vectors[s:s + ROWS], np.float32)
        block = block if basis is None else block @ basis
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[s:s + ROWS] = block / np.maximum(norms, 1e-12)

    pool_map(run, list(range(0, n, ROWS)))
    return out


def cell_count(n: int, probes: int) -> int:
    """Cells near sqrt(probes * n): balances assignment and join cost."""
    return int(max(1, min(2 ** round(math.log2(math.sqrt(probes * n))), n // 8)))


def train_cells(z: np.ndarray, cells: int, seed: int = 0, per_cell: int = 16,
                niter: int = 6) -> np.ndarray:
    """Spherical k-means centroids on a sample (a few iterations suffice)."""
    if cells == 1:
        return np.ones((1, z.shape[1]), np.float32) / math.sqrt(z.shape[1])
    rng = np.random.default_rng(seed)
    sample = z[np.sort(rng.choice(len(z), min(len(z), cells * per_cell), replace=False))]
    km = faiss.Kmeans(z.shape[1], cells, niter=niter, seed=seed, spherical=True,
                      min_points_per_centroid=1, max_points_per_centroid=per_cell)
    km.train(np.ascontiguousarray(sample))
    return km.centroids


def assign(z: np.ndarray, centroids: np.ndarray, probes: int) -> np.ndarray:
    """The ``probes`` nearest cells of every row (int32 n x probes, nearest first)."""
    index = faiss.IndexFlatIP(centroids.shape[1])
    index.add(centroids)
    probes = min(probes, len(centroids))
    out = np.empty((len(z), probes), np.int32)

    def run(s: int) -> None:
        out[s:s + ROWS] = index.search(z[s:s + ROWS], probes)[1]

    pool_map(run, list(range(0, len(z), ROWS)))
    return out


def _groups(keys: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable order of ``keys`` and the start offset of each cell in that order."""
    order = np.argsort(keys, kind="stable")
    starts = np.zeros(cells + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=cells), out=starts[1:])
    return order, starts


def _rescore(vectors: np.ndarray, a: np.ndarray, b: np.ndarray, floor: float):
    """Exact cosine of candidate pairs; those >= floor (i < j, float32 sims)."""
    keep_i, keep_j, keep_s = [], [], []
    for s in range(0, len(a), VERIFY_CHUNK):
        x, y = a[s:s + VERIFY_CHUNK], b[s:s + VERIFY_CHUNK]
        sims = np.einsum("ij,ij->i", np.asarray(vectors[x], np.float32),
                         np.asarray(vectors[y], np.float32))
        ok = sims >= floor - 1e-6
        keep_i.append(np.minimum(x[ok], y[ok]))
        keep_j.append(np.maximum(x[ok], y[ok]))
        keep_s.append(np.minimum(sims[ok], 1.0).astype(np.float32))
    return [np.concatenate(p) if p else np.zeros(0) for p in (keep_i, keep_j, keep_s)]


def _cell_hits(z, zs, members, m0, m1, queries, cut):
    """(query, member) pairs of one cell with sketch cosine >= cut, self excluded;
    queries in chunks so a crowded cell (a big burst) stays within ~64 MB."""
    step = max(1, TILE // (m1 - m0))
    out_a, out_b = [], []
    for q in range(0, len(queries), step):
        chunk = queries[q:q + step]
        sims = z[chunk] @ zs[m0:m1].T
        rows = np.flatnonzero(sims.max(axis=1) >= cut)
        qi, mi = np.nonzero(sims[rows] >= cut)
        a, b = chunk[rows[qi]], members[m0 + mi]
        out_a.append(a[a != b])
        out_b.append(b[a != b])
    return np.concatenate(out_a), np.concatenate(out_b)


def candidates(z: np.ndarray, probe: np.ndarray, cut: float, cells: int):
    """(a, b) index pairs, a != b, whose sketch cosine >= cut (found per cell)."""
    members, m_start = _groups(probe[:, 0], cells)
    zs = z[members]  # cell members contiguous
    q_order, q_start = _groups(probe.ravel(), cells)
    q_rows = (q_order // probe.shape[1]).astype(np.int64)
    del q_order

    def run(span: tuple[int, int]):
        found = [_cell_hits(z, zs, members, m_start[c], m_start[c + 1],
                            q_rows[q_start[c]:q_start[c + 1]], cut)
                 for c in range(*span) if m_start[c + 1] > m_start[c]]
        return [np.concatenate(p) if p else np.zeros(0, np.int64) for p in zip(*found)] \
            or [np.zeros(0, np.int64)] * 2

    parts = pool_map(run, _spans(q_start, 8 * workers()))
    return tuple(np.concatenate([p[k] for p in parts]) for k in (0, 1))


def _spans(starts: np.ndarray, pieces: int) -> list[tuple[int, int]]:
    """Cut the cells into about ``pieces`` consecutive ranges of similar work."""
    cells = len(starts) - 1
    bounds = np.searchsorted(starts, np.linspace(0, starts[-1], pieces + 1)[1:-1])
    edges = sorted({0, cells, *np.clip(bounds, 0, cells).tolist()})
    return list(zip(edges[:-1], edges[1:]))


def default_probes(floor: float) -> int:
    """Cells probed per vector: lower floors reach further (planted-pair recall on
    random 512-d vectors, 100k: 0.997 at 0.9/16, 0.994 at 0.8/32, 0.976 at 0.7/48)."""
    return 16 if floor >= 0.9 else 32 if floor >= 0.8 else 64


def approximate_pairs(vectors: np.ndarray, floor: float, probes: int | None = None,
                      seed: int = 0):
    """Pairs i < j with exact cosine >= floor, found through the sketch/cells
    (i, j int64 sorted by (i, j); sims float32). Recall < 1, precision 1."""
    n, d = vectors.shape
    probes = probes or default_probes(floor)
    dim = sketch_dim(floor, d)
    z = project(vectors, dim, seed)
    cells = cell_count(n, probes)
    probe = assign(z, train_cells(z, cells, seed), probes)
    cut = floor - (margin(floor, dim) if dim < d else 1e-4)
    a, b = candidates(z, probe, cut, cells)
    del z, probe
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = np.unique(lo * n + hi)
    i, j, s = _rescore(vectors, key // n, key % n, floor)
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), s[order].astype(np.float32)
