import numpy as np
import pytest

from duplicalt.pairing.grouping import centre_groups, neighbour_pairs


def unit(*rows):
    v = np.asarray(rows, np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def angle_vectors(degrees):
    """Unit vectors in a plane at the given angles: cos(a - b) is their similarity."""
    r = np.radians(degrees)
    return np.stack([np.cos(r), np.sin(r), np.zeros_like(r)], 1).astype(np.float32)


def test_pairs_are_exact_and_ordered():
    v = angle_vectors([0, 10, 60, 61])
    p = neighbour_pairs(v, 0.95)
    assert list(zip(p.i.tolist(), p.j.tolist())) == [(0, 1), (2, 3)]
    assert p.sim[0] == pytest.approx(np.cos(np.radians(10)), abs=1e-5)


def test_chain_does_not_pull_in_far_member():
    # A~B (20 deg), B~C (20 deg) but A and C are 40 deg apart: below threshold cos(25 deg).
    v = angle_vectors([0, 20, 40])
    pairs = neighbour_pairs(v, float(np.cos(np.radians(25))))
    assert len(pairs.i) == 2  # the chain exists in the graph
    groups = centre_groups(pairs)
    assert len(groups) == 1
    centre, members = groups[0]
    assert centre == 1 and [m for m, _ in members] == [0, 2]  # B is the centre, both within reach


def test_long_chain_splits_into_centred_groups():
    v = angle_vectors([0, 20, 40, 60, 80])
    t = float(np.cos(np.radians(25)))
    groups = centre_groups(neighbour_pairs(v, t))
    for centre, members in groups:
        for m, s in members:
            assert float(v[centre] @ v[m]) >= t - 1e-6
            assert s == pytest.approx(float(v[centre] @ v[m]), abs=1e-5)
    covered = sorted([c for c, _ in groups] + [m for _, ms in groups for m, _ in ms])
    assert len(covered) == len(set(covered))  # nobody in two groups


def test_deterministic_and_thresholded():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(20, 16))
    v = unit(*np.concatenate([base, base[:5] + 0.05 * rng.normal(size=(5, 16))]))
    a = centre_groups(neighbour_pairs(v, 0.98))
    b = centre_groups(neighbour_pairs(v, 0.98))
    assert a == b
    assert sorted(tuple(sorted([c] + [m for m, _ in ms])) for c, ms in a) == \
        [(k, 20 + k) for k in range(5)]


def test_pairs_at_filters_without_search():
    v = angle_vectors([0, 5, 15, 90])
    floor = neighbour_pairs(v, 0.9)
    high = floor.at(0.99)
    assert list(zip(high.i.tolist(), high.j.tolist())) == [(0, 1)]
    with pytest.raises(ValueError):
        floor.at(0.5)


def test_blocks_give_same_pairs_as_one_query():
    rng = np.random.default_rng(2)
    v = unit(*rng.normal(size=(300, 8)))
    one = neighbour_pairs(v, 0.8, block=10_000)
    many = neighbour_pairs(v, 0.8, block=7)
    assert np.array_equal(one.i, many.i) and np.array_equal(one.j, many.j)


def test_tiny_inputs():
    assert centre_groups(neighbour_pairs(np.zeros((0, 4), np.float32), 0.9)) == []
    assert centre_groups(neighbour_pairs(unit([1, 0]), 0.9)) == []
