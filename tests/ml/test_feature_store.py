"""The matcher's feature store: the mirror image's features only when a pair needs them."""
import numpy as np
from PIL import ImageOps

from duplicalt.ml.local_features import dumps, loads
from duplicalt.ml.matcher import OrbMatcher
from tests.ml.test_matcher import textured
from tests.sample_photos import save


def _both_ways(m: OrbMatcher, path):
    return (path, False) in m._cache, (path, True) in m._cache


def test_a_copy_found_straight_never_extracts_the_mirror(tmp_path):
    a = textured(1)
    original = save(a, tmp_path / "a.png")
    crop = save(a.crop((20, 10, 300, 230)), tmp_path / "crop.png")
    m = OrbMatcher()
    assert m.verify([(original, crop)])[0] >= 40
    assert _both_ways(m, crop) == (True, False) and _both_ways(m, original) == (True, False)
    data = m.fresh_features()[crop]
    assert loads(data)[1] is None  # stored without a mirror


def test_a_mirrored_copy_gets_the_mirror_and_the_same_score_as_extracting_both(tmp_path):
    a = textured(2)
    original = save(a, tmp_path / "a.png")
    flipped = save(ImageOps.mirror(a), tmp_path / "flip.png")
    other = save(textured(9), tmp_path / "other.png")
    lazy = OrbMatcher()
    got = lazy.verify([(original, flipped), (original, other)])
    assert _both_ways(lazy, flipped) == (True, True) and lazy.decoded == 3
    eager = OrbMatcher()
    for p in (original, flipped, other):  # every mirror extracted up front, as before
        eager.features(p), eager.features(p, mirrored=True)
    assert eager.verify([(original, flipped), (original, other)]) == got
    assert got[0] >= 40 and got[1] < eager.min_inliers
    straight, mirror = loads(lazy.fresh_features()[flipped])
    assert mirror is not None and np.array_equal(
        mirror.descriptors, eager.features(flipped, mirrored=True).descriptors)


def test_a_late_mirror_decodes_again_only_when_its_grey_copy_is_gone(tmp_path):
    paths = [save(textured(k), tmp_path / f"{k}.png") for k in range(3)]
    m = OrbMatcher()
    m._greys.limit = 320 * 240  # room for one grey copy
    for p in paths:
        m.features(p)
    assert m.decoded == 3
    m.features(paths[2], mirrored=True)  # its grey copy is still there
    assert m.decoded == 3
    m.features(paths[0], mirrored=True)  # pushed out: decoded again, same pixels
    assert m.decoded == 4
    fresh = OrbMatcher()
    assert np.array_equal(m.features(paths[0], mirrored=True).descriptors,
                          fresh.features(paths[0], mirrored=True).descriptors)


def test_stored_features_without_a_mirror_load_and_old_ones_with_it_too(tmp_path):
    m = OrbMatcher()
    path = save(textured(4), tmp_path / "a.png")
    straight, mirror = m.features(path), m.features(path, mirrored=True)
    for data, has_mirror in ((dumps(straight), False), (dumps(straight, mirror), True)):
        other = OrbMatcher()
        other.preload({path: data})
        assert other.has_features(path) and _both_ways(other, path) == (True, has_mirror)
        assert np.array_equal(other.features(path, mirrored=True).descriptors,
                              mirror.descriptors)
