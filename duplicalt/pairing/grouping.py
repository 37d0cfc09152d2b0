"""Near-duplicate grouping on L2-normalised vectors with FAISS.

Neighbour pairs come from an exact inner-product (cosine) range search, done
in blocks of queries so memory stays bounded; above EXACT_MAX vectors an
approximate search (core/ann.py: sketch + k-means cells, exact re-scoring)
replaces the O(N^2) one. Groups are formed around centres
so they never chain: every member is within the threshold of its group's
centre photo, whatever links exist between other members.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import faiss
import numpy as np

from duplicalt.pairing.approximate import approximate_pairs

BLOCK = 4096  # query rows per FAISS range-search call (bounded result memory)
EXACT_MAX = 20_000  # exact search up to this many vectors (~0.6 s at 10k on 2 cores)


@dataclass(frozen=True, eq=False)
class Pairs:
    """Undirected neighbour pairs i < j with cosine similarity >= ``floor``."""

    i: np.ndarray  # int64
    j: np.ndarray  # int64
    sim: np.ndarray  # float32
    floor: float
    n: int
    scores: np.ndarray | None = None  # verifier scores per pair (see core.verification)

    def subset(self, keep: np.ndarray, floor: float | None = None) -> "Pairs":
        scores = None if self.scores is None else self.scores[keep]
        return Pairs(self.i[keep], self.j[keep], self.sim[keep],
                     self.floor if floor is None else floor, self.n, scores)

    def at(self, threshold: float) -> "Pairs":
        if threshold < self.floor - 1e-9:
            raise ValueError(f"pairs were searched down to {self.floor}, not {threshold}")
        return self.subset(self.sim >= threshold - 1e-6, max(threshold, self.floor))


def make_index(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def neighbour_pairs(vectors: np.ndarray, floor: float, block: int = BLOCK,
                    exact_max: int = EXACT_MAX) -> Pairs:
    """All pairs with cosine >= floor: exact search (queried in blocks) up to
    ``exact_max`` vectors, above that approximate (float16 input is fine)."""
    n = len(vectors)
    if n < 2:
        empty = np.zeros(0, np.int64)
        return Pairs(empty, empty, np.zeros(0, np.float32), floor, n)
    if n > exact_max:
        return Pairs(*approximate_pairs(vectors, floor), floor, n)
    i, j, s = _exact_pairs(np.ascontiguousarray(vectors, dtype=np.float32), floor, block)
    order = np.lexsort((j, i))
    return Pairs(i[order], j[order], s[order], floor, n)


def _exact_pairs(v: np.ndarray, floor: float, block: int):
    """Every pair i < j with v[i].v[j] >= floor: an exact FAISS inner-product
    range search, queried in blocks so memory stays bounded (FAISS runs each
    block's products on all cores; measured faster here than BLAS tiles)."""
    cut = floor - 1e-6  # so a pair sitting exactly on the floor is not lost to rounding
    index = make_index(v)
    parts_i, parts_j, parts_s = [], [], []
    for start in range(0, len(v), block):
        lims, dist, labels = index.range_search(v[start:start + block], cut)
        rows = np.repeat(np.arange(start, start + len(lims) - 1), np.diff(lims).astype(np.int64))
        keep = labels > rows
        parts_i.append(rows[keep])
        parts_j.append(labels[keep].astype(np.int64))
        parts_s.append(np.minimum(dist[keep], 1.0).astype(np.float32))
    return (np.concatenate(parts_i).astype(np.int64), np.concatenate(parts_j),
            np.concatenate(parts_s))


def _adjacency(pairs: Pairs) -> dict[int, dict[int, float]]:
    adj: dict[int, dict[int, float]] = {}
    for a, b, s in zip(pairs.i.tolist(), pairs.j.tolist(), pairs.sim.tolist()):
        adj.setdefault(a, {})[b] = s
        adj.setdefault(b, {})[a] = s
    return adj


def centre_groups(pairs: Pairs) -> list[tuple[int, list[tuple[int, float]]]]:
    """Greedy centre clustering: repeatedly take the photo with the most
    unassigned neighbours (ties: higher summed similarity, then lower index) as a
    centre and give it all its unassigned neighbours. Returns
    [(centre, [(member, similarity_to_centre), ...])] with members by similarity
    descending, groups ordered by size descending then centre index.

    A lazy max-heap keeps this near O(E log E): a node's key only ever shrinks,
    so a popped entry whose recomputed key is unchanged is the true maximum."""
    adj = _adjacency(pairs)
    assigned: set[int] = set()

    def key(node: int) -> tuple[int, float, int]:
        free = [s for m, s in adj[node].items() if m not in assigned]
        return (-len(free), -round(sum(free), 6), node)

    heap = [key(node) for node in adj]
    heapq.heapify(heap)
    groups = []
    while heap:
        stored = heapq.heappop(heap)
        node = stored[2]
        if node in assigned:
            continue
        current = key(node)
        if current[0] == 0:
            continue
        if current != stored:
            heapq.heappush(heap, current)
            continue
        members = sorted(((m, s) for m, s in adj[node].items() if m not in assigned),
                         key=lambda ms: (-ms[1], ms[0]))
        assigned.add(node)
        assigned.update(m for m, _ in members)
        groups.append((node, members))
    groups.sort(key=lambda g: (-len(g[1]), g[0]))
    return groups
