import numpy as np

from duplicalt.pairing.grouping import Pairs, neighbour_pairs
from duplicalt.pairing.regions import Regions, merged, region_pairs


def unit(rng, n, d=16):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_region_pairs_match_an_exact_search():
    rng = np.random.default_rng(0)
    base = unit(rng, 60)
    owner = rng.integers(0, 60, 25)
    regions = Regions(unit(rng, 25).astype(np.float16), owner.astype(np.int64),
                      np.tile(np.float32([0, 0, 0.5, 0.5]), (25, 1)))
    got = region_pairs(regions, base.astype(np.float16), 0.2, np.zeros(60, np.float32), k=59)
    exact = {}
    sims = regions.vectors.astype(np.float32) @ base.astype(np.float16).astype(np.float32).T
    for r in range(25):
        for j in range(60):
            if j != owner[r] and sims[r, j] >= 0.2 - 1e-6:
                key = (min(owner[r], j), max(owner[r], j))
                if sims[r, j] > exact.get(key, (-1, -1))[0]:
                    exact[key] = (sims[r, j], r)
    assert {(int(a), int(b)) for a, b in zip(got.i, got.j)} == set(exact)
    for a, b, s, r in zip(got.i, got.j, got.sim, got.region):
        assert abs(s - exact[(a, b)][0]) < 1e-3
        assert owner[r] in (a, b)
    assert (got.i < got.j).all()


def test_a_region_never_pairs_its_own_photo():
    base = np.eye(4, dtype=np.float16)
    regions = Regions(base[[1]], np.array([1]), np.float32([[0, 0, 1, 1]]))
    got = region_pairs(regions, base, -1.0, np.zeros(4, np.float32))
    assert 1 not in {(int(a), int(b)) for a, b in zip(got.i, got.j) if a == b == 1}
    assert all(not (a == 1 and b == 1) for a, b in zip(got.i, got.j))
    assert len(got.i) == 3


def test_merged_keeps_the_better_similarity_and_its_region():
    whole = Pairs(np.array([0, 1]), np.array([2, 3]), np.float32([0.7, 0.4]), 0.3, 5, None,
                  np.float32([0.1, 0.0]))
    extra = Pairs(np.array([1, 0]), np.array([3, 4]), np.float32([0.9, 0.5]), 0.3, 5, None,
                  np.float32([0.3, 0.2]), np.int32([7, 2]))
    m = merged(whole, extra)
    got = {(int(a), int(b)): (round(float(s), 3), int(r)) for a, b, s, r in zip(m.i, m.j, m.sim, m.region)}
    assert got == {(0, 2): (0.7, -1), (1, 3): (0.9, 7), (0, 4): (0.5, 2)}


def test_neighbour_pairs_adds_the_pairs_found_through_regions():
    rng = np.random.default_rng(3)
    base = unit(rng, 30, 32)
    hidden = base[5] * 0.2 + unit(rng, 1, 32)[0]  # photo 12's region shows photo 5
    regions = Regions(np.float16([base[5]]), np.array([12]), np.float32([[0.1, 0.1, 0.6, 0.6]]))
    base[12] = hidden / np.linalg.norm(hidden)
    plain = neighbour_pairs(base.astype(np.float16), 0.8)
    both = neighbour_pairs(base.astype(np.float16), 0.8, regions=regions)
    assert (5, 12) not in set(zip(plain.i.tolist(), plain.j.tolist()))
    k = list(zip(both.i.tolist(), both.j.tolist())).index((5, 12))
    assert both.region[k] == 0 and both.sim[k] > 0.99


def test_region_search_over_many_tiles_equals_one_tile(monkeypatch):
    from duplicalt.pairing import regions as mod
    rng = np.random.default_rng(3)
    base = unit(rng, 300).astype(np.float16)
    owner = rng.integers(0, 300, 40).astype(np.int64)
    regions = Regions(unit(rng, 40).astype(np.float16), owner,
                      np.tile(np.float32([0, 0, 1, 1]), (40, 1)))
    one = region_pairs(regions, base, 0.1, np.zeros(300, np.float32), k=20)
    monkeypatch.setattr(mod, "TILE", 7 * 16)  # 16 queries a block, 21 photos a tile
    monkeypatch.setattr(mod, "QUERY_BLOCK", 16)
    many = region_pairs(regions, base, 0.1, np.zeros(300, np.float32), k=20)
    assert len(one.i) > 40
    assert np.array_equal(one.i, many.i) and np.array_equal(one.j, many.j)
    assert np.allclose(one.sim, many.sim)


def test_region_search_memory_is_bounded_by_a_tile_not_by_the_library():
    import tracemalloc
    rng = np.random.default_rng(4)
    n, m, d = 40000, 600, 32
    base = unit(rng, n, d).astype(np.float16)
    regions = Regions(unit(rng, m, d).astype(np.float16), rng.integers(0, n, m).astype(np.int64),
                      np.zeros((m, 4), np.float32))
    tracemalloc.start()
    got = region_pairs(regions, base, 0.5, np.zeros(n, np.float32))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(got.i) > 0
    # one product of all regions against all photos would be m * n * 4 = 96 MB, and its
    # ranks twice that; a tile is 8 MB
    assert peak < 80e6, peak / 1e6


def test_a_page_keeps_only_the_pairs_through_its_best_region():
    from duplicalt.pairing.regions import one_partner_per_page
    regions = Regions(np.zeros((3, 4), np.float16), np.array([0, 0, 5]),
                      np.zeros((3, 4), np.float32))
    # photo 0 shows 1 (region 0) and 2 and 6, a copy of 2 (region 1); photo 5 shows 4;
    # 0-3 are whole copies
    pairs = Pairs(np.array([0, 0, 0, 4, 0]), np.array([1, 2, 3, 5, 6]),
                  np.float32([0.8, 0.9, 0.7, 0.6, 0.85]), 0.5, 7, None, None,
                  np.int32([0, 1, -1, 2, 1]))
    got = one_partner_per_page(pairs, regions)
    assert sorted(zip(got.i.tolist(), got.j.tolist())) == [(0, 2), (0, 3), (0, 6), (4, 5)]
    assert one_partner_per_page(pairs, None) is pairs


def test_regions_that_meet_nothing_above_the_floor_give_no_pairs():
    base = np.eye(4, dtype=np.float16)
    regions = Regions(np.float16([[0, 0, 0.6, 0.8]]), np.array([0]), np.float32([[0, 0, 1, 1]]))
    got = region_pairs(regions, base, 0.9, np.zeros(4, np.float32))
    assert len(got.i) == 0 and len(got.region) == 0
    whole = neighbour_pairs(base.astype(np.float32), 0.9, regions=regions)
    assert len(whole.i) == 0
