import numpy as np

from duplicalt.pairing import density
from duplicalt.pairing.grouping import neighbour_pairs
from duplicalt.pairing.knn import background, knn
from duplicalt.pairing.verification import nearest
from tests.pairing.test_knn import clustered, planted, unit


def crowd_with_copies(seed=0):
    """A tight crowd of look-alikes (pairwise cosine ~0.8) and a loose spread
    of unrelated photos; ten copies (cosine 0.93) planted in each."""
    rng = np.random.default_rng(seed)
    d = 64
    centre = unit(rng.standard_normal((1, d)))
    crowd = unit(centre + 0.45 * unit(rng.standard_normal((400, d))))
    loose = unit(rng.standard_normal((400, d)))
    x = np.concatenate([crowd, loose]).astype(np.float32)
    copies = []
    for base in (0, 400):
        src = np.arange(base, base + 10)
        dst = np.arange(base + 200, base + 210)
        noise = unit(rng.standard_normal((10, d)))
        noise -= (noise * x[src]).sum(1, keepdims=True) * x[src]
        x[dst] = 0.93 * x[src] + np.sqrt(1 - 0.93 ** 2) * unit(noise)
        copies += list(zip(src.tolist(), dst.tolist()))
    return x, set(copies)


def test_background_is_the_cosine_to_the_rank_th_neighbour():
    x = clustered(300, d=16, clusters=3)
    nb = knn(x, 12)
    bg = background(nb, 10)
    s = x @ x.T
    np.fill_diagonal(s, -np.inf)
    assert np.allclose(bg, np.sort(s, axis=1)[:, -10], atol=1e-5)
    assert np.all(background(nb, 13) == -1)  # not enough neighbours listed


def test_copies_stand_out_and_a_crowd_of_look_alikes_does_not():
    x, copies = crowd_with_copies()
    pairs = neighbour_pairs(x, 0.55)
    found = set(zip(pairs.i.tolist(), pairs.j.tolist()))
    crowd = [k for k, (a, b) in enumerate(found) if a < 400 and b < 400 and (a, b) not in copies]
    assert len(crowd) > 3000  # raw cosine alone would send the verifier thousands
    picked = nearest(pairs, crowd_min=0)
    chosen = set(zip(picked.i.tolist(), picked.j.tolist()))
    assert copies <= chosen  # every copy, in the crowd as in the loose spread
    assert len(chosen - copies) <= 0.1 * len(x)  # look-alikes: a few, not thousands


def test_excess_is_cosine_minus_the_larger_background():
    bg = np.float32([0.5, 0.7, 0.9])
    i, j = np.array([0, 0, 1]), np.array([1, 2, 2])
    sim = np.float32([0.8, 0.95, 0.95])
    assert np.allclose(density.excess(i, j, sim, bg), [0.1, 0.05, 0.05])


def test_top_per_node_matches_a_loop_over_pairs():
    rng = np.random.default_rng(3)
    i = rng.integers(0, 50, 2000)
    j = rng.integers(0, 50, 2000)
    score = rng.random(2000).astype(np.float32)
    keep = density.top_per_node(i, j, score, 3)
    count: dict[int, int] = {}
    expect = np.zeros(2000, bool)
    for p in np.lexsort((np.arange(2000), -score)):
        a, b = int(i[p]), int(j[p])
        if count.get(a, 0) < 3 or count.get(b, 0) < 3:
            expect[p] = True
        count[a], count[b] = count.get(a, 0) + 1, count.get(b, 0) + 1
    assert np.array_equal(keep, expect)


def test_near_identical_bursts_are_kept_whatever_the_crowd():
    x = clustered(500, d=32, clusters=2, spread=0.2)
    truth = planted(x, 20, 0.97)
    picked = nearest(neighbour_pairs(x, 0.55), crowd_min=0)
    assert truth <= set(zip(picked.i.tolist(), picked.j.tolist()))


def test_a_small_collection_checks_each_photos_most_similar_partners():
    x, copies = crowd_with_copies()
    pairs = neighbour_pairs(x, 0.55)
    small = nearest(pairs, k=3)  # 800 photos < CROWD_MIN: by cosine, not by excess
    assert np.array_equal(density.top_per_node(pairs.i, pairs.j, pairs.sim, 3),
                          np.isin(pairs.i * 800 + pairs.j, small.i * 800 + small.j))


def test_the_margin_is_read_when_candidates_are_chosen(monkeypatch):
    """The scale benchmark's --margin sets density.MARGIN in its child process:
    a larger margin must send fewer pairs to the verifier, never more."""
    x, _ = crowd_with_copies()
    pairs = neighbour_pairs(x, 0.5)
    counts = []
    for margin in (-0.05, 0.0, 0.1):
        monkeypatch.setattr(density, "MARGIN", margin)
        counts.append(int(nearest(pairs, crowd_min=0).i.size))
    assert counts[0] > counts[1] > counts[2]
    monkeypatch.setattr(density, "MARGIN", 0.0)
    assert counts[1] == int(nearest(pairs, crowd_min=0).i.size)
