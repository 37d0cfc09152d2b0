"""Near-duplicate grouping on L2-normalised vectors with FAISS.

Neighbour pairs come from each photo's k nearest neighbours (pairing.knn:
exact search in blocks, an inverted file above its size cut-off), kept at
cosine >= the floor: memory is O(n k) however crowded the collection is. Each
pair also carries its density-aware *excess* (pairing.density). Groups are
formed around centres so they never chain: every member is within the
threshold of its group's centre photo, whatever links exist between other members.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from duplicalt.pairing import density
from duplicalt.pairing.knn import BLOCK, EXACT_MAX, K, background, knn, pairs_above

@dataclass(frozen=True, eq=False)
class Pairs:
    """Undirected neighbour pairs i < j with cosine similarity >= ``floor``."""

    i: np.ndarray  # int64
    j: np.ndarray  # int64
    sim: np.ndarray  # float32
    floor: float
    n: int
    scores: np.ndarray | None = None  # verifier scores per pair (see pairing.verification)
    excess: np.ndarray | None = None  # cosine minus the pair's background (pairing.density)
    region: np.ndarray | None = None  # int32: the region found through (pairing.regions), -1 none

    def subset(self, keep: np.ndarray, floor: float | None = None) -> "Pairs":
        scores = None if self.scores is None else self.scores[keep]
        excess = None if self.excess is None else self.excess[keep]
        region = None if self.region is None else self.region[keep]
        return Pairs(self.i[keep], self.j[keep], self.sim[keep],
                     self.floor if floor is None else floor, self.n, scores, excess, region)

    def covers(self, threshold: float) -> bool:
        """Whether these pairs were searched down to ``threshold`` (or lower)."""
        return threshold >= self.floor - 1e-9

    def above(self, threshold: float) -> np.ndarray:
        """Mask of the pairs at or above ``threshold`` (float32 similarities)."""
        return self.sim >= threshold - 1e-6

    def at(self, threshold: float) -> "Pairs":
        if not self.covers(threshold):
            raise ValueError(f"pairs were searched down to {self.floor}, not {threshold}")
        return self.subset(self.above(threshold), max(threshold, self.floor))


def neighbour_pairs(vectors: np.ndarray, floor: float, block: int = BLOCK,
                    exact_max: int = EXACT_MAX, k: int = K, regions=None) -> Pairs:
    """Pairs with cosine >= floor among each photo's ``k`` nearest neighbours
    (all pairs >= floor when n <= k + 1), with their excess over the background
    (float16 input is fine; searched in blocks of ``block`` query rows). With
    ``regions`` (pairing.regions.Regions), the pairs found through the pictures
    inside photos are added (``Pairs.region`` says which)."""
    n = len(vectors)
    if n < 2:
        empty = np.zeros(0, np.int64)
        return Pairs(empty, empty, np.zeros(0, np.float32), floor, n, None,
                     np.zeros(0, np.float32))
    nb = knn(vectors, k, block, exact_max)
    i, j, sim = pairs_above(nb, floor)
    bg = background(nb, density.RANK)
    del nb
    pairs = Pairs(i, j, sim, floor, n, None, density.excess(i, j, sim, bg))
    if regions is None or not len(regions):
        return pairs
    from duplicalt.pairing.regions import merged, region_pairs  # it builds on Pairs

    return merged(pairs, region_pairs(regions, vectors, floor, bg))


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
