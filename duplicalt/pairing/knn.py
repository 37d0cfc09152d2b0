"""Each photo's k nearest neighbours, searched in blocks (bounded memory).

Vectors are split into k-means cells (one cell, i.e. an exact search, up to
EXACT_MAX vectors); every vector probes its PROBES nearest cells. Queries are
taken in blocks; per (block, cell) one matrix product of the block's probing
queries against the cell's members gives the cell's best k for each query, and
each query keeps the best k over its probes. Memory is O(n k) plus one block's
products, never O(n^2) and never all pairs above a threshold: a crowded region
of look-alikes costs k pairs per photo, not thousands. Vectors stay float16;
only a cell's members and a block's queries are widened to float32.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

BLOCK = 65536  # query rows per block (~250 MB of work arrays)
EXACT_MAX = 5000  # one cell (exact search) up to this many vectors
K = 32  # neighbours per photo (besides itself)
PROBES = 8  # cells each vector searches above EXACT_MAX
TILE = 1 << 22  # similarities computed at once (16 MB), however crowded a cell


@dataclass(frozen=True, eq=False)
class Neighbours:
    """``idx[r]``: row r's nearest other rows, most similar first (-1: none);
    ``sims[r]``: their cosines (float32; -inf where idx is -1)."""

    idx: np.ndarray  # (n, k) int32
    sims: np.ndarray  # (n, k) float32

    @property
    def k(self) -> int:
        return self.idx.shape[1]


def _float32(block: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(block, dtype=np.float32)


def cells_for(vectors: np.ndarray, probes: int, exact_max: int, seed: int = 0) -> np.ndarray:
    """Each row's ``probes`` nearest k-means cells, nearest first (int32 n x p);
    one cell for all when n <= exact_max."""
    n, d = vectors.shape
    if n <= exact_max:
        return np.zeros((n, 1), np.int32)
    cells = int(2 ** round(math.log2(math.sqrt(probes * n))))
    rng = np.random.default_rng(seed)
    sample = _float32(vectors[np.sort(rng.choice(n, min(n, 24 * cells), replace=False))])
    km = faiss.Kmeans(d, cells, niter=8, seed=seed, spherical=True, min_points_per_centroid=1,
                      max_points_per_centroid=24)
    km.train(sample)
    index = faiss.IndexFlatIP(d)
    index.add(km.centroids)
    out = np.empty((n, probes), np.int32)
    for s in range(0, n, BLOCK):
        out[s:s + BLOCK] = index.search(_float32(vectors[s:s + BLOCK]), probes)[1]
    return out


def _cell_best(q: np.ndarray, rows: np.ndarray, members: np.ndarray, m: np.ndarray, k: int):
    """The best ``k`` members for each query (self excluded): (idx, sims), -1/-inf padded."""
    sims = q @ m.T
    sims[rows[:, None] == members[None, :]] = -np.inf
    kk = min(k, len(members))
    top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk] if kk < len(members) else \
        np.broadcast_to(np.arange(kk), (len(q), kk))
    idx = np.full((len(q), k), -1, np.int64)
    out = np.full((len(q), k), -np.inf, np.float32)
    idx[:, :kk] = members[top]
    out[:, :kk] = np.take_along_axis(sims, top, axis=1)
    idx[~np.isfinite(out)] = -1
    return idx, out


def _best_k(idx: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the ``k`` largest sims, sorted descending (ties: lower index)."""
    order = np.lexsort((idx, -sims), axis=1)[:, :k]
    sims = np.take_along_axis(sims, order, axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    return np.where(np.isfinite(sims), idx, -1).astype(np.int32), \
        np.minimum(sims, 1.0).astype(np.float32)


def knn(vectors: np.ndarray, k: int = K, block: int = BLOCK, exact_max: int = EXACT_MAX,
        probes: int = PROBES) -> Neighbours:
    """The ``k`` nearest other rows of every row of unit ``vectors`` (float16 ok)."""
    n = len(vectors)
    k = max(0, min(k, n - 1))
    if k == 0:
        return Neighbours(np.full((n, 0), -1, np.int32), np.zeros((n, 0), np.float32))
    probe = cells_for(vectors, probes, exact_max)
    members = np.argsort(probe[:, 0], kind="stable")
    starts = np.searchsorted(probe[members, 0], np.arange(probe.max() + 2))
    idx = np.empty((n, k), np.int32)
    sims = np.empty((n, k), np.float32)
    with threadpool_limits(1, user_api="blas"):  # small products: threads only cost
        _search(vectors, probe, members, starts, block, idx, sims)
    return Neighbours(idx, sims)


def _search(vectors, probe, members, starts, block, idx, sims) -> None:
    n, k = idx.shape
    p = probe.shape[1]
    for s in range(0, n, block):
        e = min(n, s + block)
        flat = probe[s:e].ravel()  # slot f = local query * p + probe number
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(probe.max() + 2))
        cand_i = np.full((len(flat), k), -1, np.int64)
        cand_s = np.full((len(flat), k), -np.inf, np.float32)
        q_all = _float32(vectors[s:e])
        for c in np.flatnonzero(np.diff(bounds)):
            mem = members[starts[c]:starts[c + 1]]
            if len(mem) == 0:
                continue
            m = _float32(vectors[mem])
            step = max(1, TILE // len(mem))
            for t in range(bounds[c], bounds[c + 1], step):
                slots = order[t:min(t + step, bounds[c + 1])]
                cand_i[slots], cand_s[slots] = _cell_best(q_all[slots // p], s + slots // p,
                                                          mem, m, k)
        idx[s:e], sims[s:e] = _best_k(cand_i.reshape(e - s, p * k),
                                      cand_s.reshape(e - s, p * k), k)


def background(nb: Neighbours, rank: int) -> np.ndarray:
    """Each row's cosine to its ``rank``-th nearest neighbour (1-based): how
    crowded its neighbourhood is. Rows with fewer neighbours get -1."""
    if nb.k < rank:
        return np.full(len(nb.idx), -1.0, np.float32)
    out = nb.sims[:, rank - 1].copy()
    out[~np.isfinite(out)] = -1.0
    return out


def pairs_above(nb: Neighbours, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected pairs i < j found in either row's list with cosine >= floor,
    each once, sorted by (i, j): (i int64, j int64, sim float32)."""
    n = len(nb.idx)
    keep = (nb.idx >= 0) & (nb.sims >= floor - 1e-6)
    rows = np.nonzero(keep)[0].astype(np.int64)
    cols = nb.idx[keep].astype(np.int64)
    key = np.minimum(rows, cols) * n + np.maximum(rows, cols)  # one int64 per directed pair
    del rows, cols
    key, first = np.unique(key, return_index=True)
    sims = nb.sims[keep][first]
    return key // n, key % n, sims
