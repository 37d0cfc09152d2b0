"""The region-vector lever's similarity (evaluation.accuracy.levers.region_sims)."""
import numpy as np

from duplicalt.evaluation.accuracy.levers import region_sims


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_a_crop_meets_the_originals_region_either_way_and_regions_never_meet():
    rng = np.random.default_rng(0)
    whole = unit(rng.standard_normal((3, 16)))
    region = unit(rng.standard_normal((3, 16)))
    whole[1] = region[0]  # photo 1 is a crop of photo 0: its whole view is 0's region
    region[2] = region[0]  # photos 0 and 2 share only a region (two collages of one photo)
    sims = region_sims(whole, [region])
    assert np.isclose(sims[0, 1], 1.0) and np.isclose(sims[1, 0], 1.0)  # symmetric
    assert np.allclose(sims, sims.T)
    assert sims[0, 2] < 0.99  # region-to-region is not a match
    plain = whole @ whole.T
    assert np.all(sims >= plain - 1e-6)  # regions only ever add similarity


def test_a_quarter_turned_copy_is_found_by_querying_the_turns():
    from duplicalt.evaluation.accuracy.levers import TURNS, descriptor

    rng = np.random.default_rng(1)
    maps = rng.random((2, 8, 16, 4)).astype(np.float16)  # (photos, d8 views, channels, h*w)
    # photo 1 is photo 0 turned by 90 degrees: its straight views are 0's 90-degree views
    # and its 270-degree views are 0's straight ones (views: id, mirror, 90, 90m, 180, 180m,
    # 270, 270m)
    maps[1, [0, 1]] = maps[0, [2, 3]]
    maps[1, [6, 7]] = maps[0, [0, 1]]
    main = descriptor(maps, [0, 1], 1.0)
    turned = [descriptor(maps, views, 1.0) for views in TURNS["90+270"]]
    assert main[0] @ main[1] < 0.999
    assert np.isclose(region_sims(main, turned)[0, 1], 1.0, atol=1e-3)
