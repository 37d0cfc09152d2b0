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
