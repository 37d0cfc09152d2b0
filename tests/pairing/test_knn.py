import tracemalloc

import numpy as np
import pytest

from duplicalt.pairing import knn
from duplicalt.pairing.grouping import neighbour_pairs


def unit(x):
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered(n, d=64, clusters=40, spread=0.5, seed=0):
    """Unit vectors around random centres (photos of a few kinds of thing)."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((clusters, d)))
    x = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, d)) / np.sqrt(d)
    return unit(x)


def planted(x, pairs, cos, seed=1):
    """Overwrite ``pairs`` rows with copies of others at cosine ``cos``."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    src, dst = perm[:pairs], perm[pairs:2 * pairs]
    noise = rng.standard_normal((pairs, x.shape[1])).astype(np.float32)
    noise -= (noise * x[src]).sum(1, keepdims=True) * x[src]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    x[dst] = cos * x[src] + np.sqrt(1 - cos * cos) * noise
    return {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}


def exact_range(x, floor):
    """Every pair i < j with cosine >= floor, by brute force."""
    s = x.astype(np.float32) @ x.astype(np.float32).T
    i, j = np.nonzero(np.triu(s >= floor - 1e-6, 1))
    return set(zip(i.tolist(), j.tolist()))


def as_set(p):
    return set(zip(p.i.tolist(), p.j.tolist()))


def test_exact_knn_matches_brute_force():
    x = clustered(600)
    nb = knn.knn(x, 10)
    s = x @ x.T
    np.fill_diagonal(s, -np.inf)
    best = np.argsort(-s, axis=1, kind="stable")[:, :10]
    assert np.array_equal(np.sort(nb.idx, 1), np.sort(best, 1))
    assert np.allclose(nb.sims, np.take_along_axis(s, best, 1), atol=1e-5)
    assert np.all(np.diff(nb.sims, axis=1) <= 1e-7)  # most similar first
    assert not np.any(nb.idx == np.arange(600)[:, None])  # never itself


@pytest.mark.parametrize("floor", [0.5, 0.8])
def test_knn_pairs_equal_the_exact_range_search_on_small_sets(floor):
    x = clustered(15, d=8, clusters=3)  # k >= n - 1: every pair is a neighbour pair
    p = neighbour_pairs(x, floor, k=16)
    assert as_set(p) == exact_range(x, floor)
    assert np.allclose(p.sim, np.einsum("ij,ij->i", x[p.i], x[p.j]), atol=1e-5)
    assert np.array_equal(np.lexsort((p.j, p.i)), np.arange(len(p.i)))


def test_knn_pairs_are_the_range_pairs_within_each_photos_k_nearest():
    x = clustered(400, d=16, clusters=4)
    floor, k = 0.7, 8
    p = neighbour_pairs(x, floor, k=k)
    nb = knn.knn(x, k)
    listed = {(min(r, int(c)), max(r, int(c))) for r in range(400) for c in nb.idx[r]}
    assert as_set(p) == exact_range(x, floor) & listed
    assert len(p.i) <= 400 * k


def test_cells_find_planted_copies_with_exact_scores():
    x = clustered(8000, d=64, clusters=80)
    truth = planted(x, 300, 0.9)
    approx = neighbour_pairs(x, 0.85, exact_max=1000)
    assert len(as_set(approx) & truth) / len(truth) >= 0.97
    assert np.allclose(approx.sim, np.einsum("ij,ij->i", x[approx.i], x[approx.j]), atol=1e-5)
    assert as_set(approx) <= exact_range(x, 0.85)  # precision 1: scores are exact


def test_blocks_and_float16_give_the_same_pairs():
    x = clustered(3000, d=32, clusters=30)
    one = neighbour_pairs(x, 0.8, exact_max=500)
    many = neighbour_pairs(x, 0.8, exact_max=500, block=257)
    assert as_set(one) == as_set(many)
    half = neighbour_pairs(x.astype(np.float16), 0.8, exact_max=500)
    assert len(as_set(half) ^ as_set(one)) <= 0.01 * len(as_set(one))


def test_a_crowd_never_materialises_all_its_pairs():
    """6,000 near-identical photos: 18M pairs above the floor. Materialised at
    once they need > 200 MB; the k-NN search stays at O(n k)."""
    rng = np.random.default_rng(0)
    x = unit(np.ones((6000, 32)) + 0.05 * rng.standard_normal((6000, 32)))
    assert float((x[:100] @ x[:100].T).min()) > 0.9
    tracemalloc.start()
    pairs = neighbour_pairs(x, 0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(pairs.i) <= 6000 * knn.K
    assert peak < 80 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_tiny_inputs():
    assert len(neighbour_pairs(np.zeros((0, 4), np.float32), 0.9).i) == 0
    assert len(neighbour_pairs(unit([[1, 0]]), 0.9).i) == 0
    two = neighbour_pairs(unit([[1, 0], [1, 0.01]]), 0.9)
    assert as_set(two) == {(0, 1)} and two.excess is not None
