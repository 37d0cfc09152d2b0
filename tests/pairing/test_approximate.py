import numpy as np
import pytest

from duplicalt.pairing import approximate as ann, grouping
from duplicalt.pairing.grouping import neighbour_pairs


def planted(n, d=64, pairs=100, lo=0.9, hi=0.99, seed=0, dtype=np.float32):
    """Random unit vectors; ``pairs`` rows copied with noise to cosine in [lo, hi]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    perm = rng.permutation(n)
    src, dst = perm[:pairs], perm[pairs:2 * pairs]
    c = rng.uniform(lo, hi, pairs).astype(np.float32)[:, None]
    noise = rng.standard_normal((pairs, d)).astype(np.float32)
    noise -= (noise * x[src]).sum(1, keepdims=True) * x[src]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    x[dst] = c * x[src] + np.sqrt(1 - c * c) * noise
    truth = {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}
    return x.astype(dtype), truth


def as_set(p):
    return set(zip(p.i.tolist(), p.j.tolist()))


def test_approximate_finds_planted_pairs_with_exact_scores():
    x, truth = planted(6000, d=256, pairs=300)
    approx = neighbour_pairs(x, 0.9, exact_max=1000)
    exact = neighbour_pairs(x, 0.9)
    assert as_set(approx) <= as_set(exact)  # precision 1: every pair is re-scored
    assert len(as_set(approx) & truth) / len(truth) >= 0.97
    assert np.allclose(approx.sim, np.einsum("ij,ij->i", x[approx.i], x[approx.j]), atol=1e-5)
    assert np.all(approx.i < approx.j)
    assert np.array_equal(np.lexsort((approx.j, approx.i)), np.arange(len(approx.i)))


def test_float16_input_and_determinism():
    x, truth = planted(5000, d=128, pairs=200, dtype=np.float16)
    a = neighbour_pairs(x, 0.9, exact_max=100)
    b = neighbour_pairs(x, 0.9, exact_max=100)
    assert as_set(a) == as_set(b) and np.array_equal(a.sim, b.sim)
    assert len(as_set(a) & truth) / len(truth) >= 0.97


def test_large_input_takes_the_approximate_path(monkeypatch):
    calls = []
    real = grouping.approximate_pairs
    monkeypatch.setattr(grouping, "approximate_pairs",
                        lambda v, f: calls.append(len(v)) or real(v, f))
    x, _ = planted(300, d=32, pairs=10)
    neighbour_pairs(x, 0.9)
    assert calls == []
    monkeypatch.setattr(grouping, "EXACT_MAX", 100)
    neighbour_pairs(x, 0.9, exact_max=grouping.EXACT_MAX)
    assert calls == [300]


def test_clustered_vectors_match_exact_search():
    """Bursts (tight clusters) like a real photo library: nothing lost."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((200, 128)).astype(np.float32)
    x = np.repeat(centres, 5, axis=0) + 0.15 * rng.standard_normal((1000, 128)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = neighbour_pairs(x, 0.95)
    approx = neighbour_pairs(x, 0.95, exact_max=10)
    assert len(exact.i) > 500 and as_set(approx) == as_set(exact)


@pytest.mark.parametrize("n", [2, 3, 9, 40])
def test_tiny_inputs_on_the_approximate_path(n):
    x, _ = planted(n, d=16, pairs=1)
    assert as_set(neighbour_pairs(x, 0.9, exact_max=0)) == as_set(neighbour_pairs(x, 0.9))


def test_low_floor_uses_full_dimension():
    assert ann.sketch_dim(0.95, 512) == 64
    assert ann.sketch_dim(0.5, 512) == 512
    assert ann.sketch_dim(0.9, 32) == 32
    x, _ = planted(2000, d=64, pairs=50, lo=0.5, hi=0.7)
    approx = neighbour_pairs(x, 0.5, exact_max=10)
    assert as_set(approx) <= as_set(neighbour_pairs(x, 0.5))
    assert len(approx.i) >= 45


def test_crowded_cell_is_chunked(monkeypatch):
    """One burst of near-identical photos: every pair found, memory bounded."""
    monkeypatch.setattr(ann, "TILE", 1000)
    rng = np.random.default_rng(5)
    centre = rng.standard_normal(64).astype(np.float32)
    x = np.concatenate([centre + 0.05 * rng.standard_normal((150, 64)).astype(np.float32),
                        rng.standard_normal((600, 64)).astype(np.float32)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = neighbour_pairs(x, 0.95)
    assert len(exact.i) == 150 * 149 // 2
    assert as_set(neighbour_pairs(x, 0.95, exact_max=10)) == as_set(exact)
