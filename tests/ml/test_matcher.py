from PIL import ImageOps

from duplicalt.ml.matcher import OrbMatcher
from tests.sample_photos import make_photo, save


def textured(seed):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    base = make_photo(seed, (320, 240))
    noise = rng.integers(0, 2, (60, 80)).astype(np.uint8) * 120
    tex = Image.fromarray(noise).resize((320, 240), Image.NEAREST).convert("RGB")
    return Image.blend(base, tex, 0.5)


def test_copies_match_and_different_photos_do_not(tmp_path):
    a = textured(1)
    orig = save(a, tmp_path / "a.jpg", quality=92)
    crop = save(a.crop((30, 20, 300, 230)), tmp_path / "crop.jpg")
    flip = save(ImageOps.mirror(a), tmp_path / "flip.jpg")
    rot = save(a.rotate(90, expand=True), tmp_path / "rot.png")
    other = save(textured(2), tmp_path / "other.jpg")
    m = OrbMatcher()
    scores = m.verify([(orig, crop), (orig, flip), (orig, rot), (orig, other)])
    assert all(s >= m.min_inliers for s in scores[:3]), scores
    assert scores[3] < m.min_inliers, scores
    assert m.accepts(scores[0], 0.5) and not m.accepts(scores[3], 0.99)


def test_featureless_is_inconclusive(tmp_path):
    from PIL import Image
    flat = save(Image.new("RGB", (200, 200), (120, 130, 140)), tmp_path / "flat.png")
    m = OrbMatcher()
    assert m.verify([(flat, flat)]) == [None]
    assert m.accepts(-1, 0.99) and not m.accepts(-1, 0.5)


def test_implausible_geometry_is_rejected():
    import numpy as np

    from duplicalt.ml.matcher import plausible, spread
    assert plausible(np.float32([[0.5, 0, 3], [0, 0.5, 1]]))  # a resize
    assert plausible(np.float32([[0, -1, 100], [1, 0, 0]]))  # a 90 degree rotation
    assert not plausible(np.float32([[-1, 0, 100], [0, 1, 0]]))  # a mirror (checked separately)
    assert not plausible(np.float32([[0.9, 0, 0], [0, 0.05, 0]]))  # collapsed to a line
    assert not plausible(np.float32([[3, 0, 0], [0, 1, 0]]))  # 3x aspect change
    assert not plausible(None)
    pts = np.float32([[10, 10], [12, 11], [11, 13]])
    assert spread(pts, (320, 240)) < 0.1 and spread(pts * 10, (320, 240)) > 0.1


def test_kept_decodes_score_the_same_without_a_second_decode(tmp_path):
    """Photos handed over by the embedder (core.types.KeepDecoded) are not decoded
    again, and give exactly the scores of the matcher's own decode. A JPEG the
    embedder drafted at another scale than the matcher would is not kept."""
    from duplicalt.photos.decode import load_photo
    a = textured(3)
    big = save(a.resize((3414, 2560)), tmp_path / "big.jpg", quality=90)  # 1/8 at 64 and 320
    crop = save(a.crop((30, 20, 300, 230)), tmp_path / "crop.png")
    mid = save(a.resize((700, 525)), tmp_path / "mid.jpg", quality=90)
    flip = save(ImageOps.mirror(a), tmp_path / "flip.png")
    pairs = [(big, crop), (big, mid), (crop, flip), (mid, flip)]
    own = OrbMatcher()
    expected = own.verify(pairs)
    assert own.decoded == 4 and all(s >= own.min_inliers for s in expected), expected
    shared = OrbMatcher()
    for path in (big, crop, mid, flip):
        img, info = load_photo(path, target=64)  # what a 64-px embedder decodes
        shared.keep_decoded(path, img, info, 64)
    assert set(shared._kept_views.items) == {big, crop, flip}  # mid.jpg: drafted at 1/8, not 1/2
    assert shared.verify(pairs) == expected
    assert shared.decoded == 1 and not shared._kept_views.items  # only mid.jpg; used copies dropped


def test_kept_copies_are_bounded_oldest_first(tmp_path):
    from duplicalt.photos.decode import load_photo
    paths = [save(textured(k), tmp_path / f"{k}.png") for k in range(4)]
    m = OrbMatcher(kept_mb=2.5 * 320 * 240 / 2**20)  # room for two 320x240 copies
    for p in paths:
        img, info = load_photo(p, target=64)
        m.keep_decoded(p, img, info, 64)
    assert list(m._kept_views.items) == paths[2:] and m._kept_views.bytes == 2 * 320 * 240
    m.forget()
    assert not m._kept_views.items and m._kept_views.bytes == 0


def test_a_photo_wanted_by_two_threads_is_decoded_once(tmp_path):
    paths = [save(textured(k), tmp_path / f"{k}.jpg") for k in range(3)]
    m = OrbMatcher(workers=2)
    m.verify([(paths[0], paths[1]), (paths[0], paths[2])] * 4)
    assert m.decoded == 3


def test_photos_with_a_one_pixel_side_are_inconclusive_not_a_crash(tmp_path):
    """Issue 13, item 9: OpenCV's pyramid resize asserted on a 1-px side."""
    import numpy as np
    from PIL import Image

    from duplicalt.photos.decode import load_photo
    rng = np.random.default_rng(0)
    paths = []
    for w, h in [(1, 500), (500, 1), (1, 1), (3, 900)]:
        img = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        paths.append(save(img, tmp_path / f"strip{w}x{h}.png"))
    m = OrbMatcher()
    assert m.verify([(p, p) for p in paths]) == [None] * len(paths)
    m2 = OrbMatcher()  # the same photos handed over by the embedder's decode
    for p in paths:
        img, info = load_photo(p, target=m2.side)
        m2.keep_decoded(p, img, info, m2.side)
    assert m2.verify([(paths[0], paths[1])]) == [None]


def tinted(seed, colour):
    """One textured picture (one outline, one grey structure) in a given colour."""
    import numpy as np
    from PIL import Image
    grey = np.asarray(textured(seed).convert("L"), np.float32) / 255
    rgb = (grey[..., None] * np.float32(colour)[None, None, :] + 40).clip(0, 255)
    return Image.fromarray(rgb.astype(np.uint8))


def test_features_round_trip_through_bytes(tmp_path):
    import numpy as np

    from duplicalt.ml.local_features import dumps, loads
    m = OrbMatcher()
    path = save(textured(5), tmp_path / "a.jpg")
    a, b = m.features(path), m.features(path, mirrored=True)
    a2, b2 = loads(dumps(a, b))
    for x, y in ((a, a2), (b, b2)):
        assert x.shape == y.shape and np.array_equal(x.descriptors, y.descriptors)
        assert np.array_equal(x.points, y.points) and np.array_equal(x.thumb, y.thumb)
    assert a2.thumb.shape == (48, 64, 3)


def test_features_from_the_cache_give_the_cold_scores_and_old_records_still_load(tmp_path):
    """Points were stored as float16 (LF1): RANSAC then moved a few inliers, so a warm
    re-scan could decide a pair otherwise than the cold scan. Stored exactly now."""
    import numpy as np

    from duplicalt.ml import local_features as lf
    a = textured(6)
    paths = [save(a, tmp_path / "a.png"), save(a.crop((13, 7, 290, 221)), tmp_path / "c.png"),
             save(a.rotate(7, expand=True), tmp_path / "r.png"), save(textured(8), tmp_path / "o.png")]
    pairs = [(paths[0], p) for p in paths[1:]] + [(paths[1], paths[2])]
    cold = OrbMatcher()
    scores = cold.verify(pairs)
    warm = OrbMatcher()
    warm.preload(cold.fresh_features())
    assert warm.verify(pairs) == scores and warm.decoded == 0
    f = cold.features(paths[0])
    old = lf._HEAD.pack(lf._OLD_MAGIC, *f.shape, f.thumb.shape[1], f.thumb.shape[0],
                        len(f.points)) + f.points.astype(np.float16).tobytes() + \
        f.descriptors.tobytes() + f.thumb.tobytes()
    straight, mirror = lf.loads(old)
    assert mirror is None and np.allclose(straight.points, f.points, atol=0.25)
    assert np.array_equal(straight.descriptors, f.descriptors)


def test_another_colour_with_the_same_outline_is_not_a_copy(tmp_path):
    """A red and a blue motorbike of one model line up under one affine map; the
    colour check tells them apart, and lets colour-edited copies through."""
    from PIL import ImageEnhance
    red = tinted(4, (215, 30, 20))
    one = save(red, tmp_path / "red.png")
    pale = save(ImageEnhance.Color(red.crop((10, 5, 310, 235))).enhance(0.5), tmp_path / "pale.jpg")
    grey = save(red.convert("L").convert("RGB"), tmp_path / "grey.png")
    bright = save(ImageEnhance.Brightness(red).enhance(1.3), tmp_path / "bright.jpg")
    blue = save(tinted(4, (20, 40, 215)), tmp_path / "blue.png")
    m = OrbMatcher()
    a, b = m.features(one), m.features(blue)
    assert m.fit(a, b)[0] >= m.min_inliers  # the geometry alone would accept it
    scores = m.verify([(one, pale), (one, grey), (one, bright), (one, blue)])
    assert all(s >= m.min_inliers for s in scores[:3]), scores
    assert scores[3] < m.min_inliers, scores


def test_a_pair_costs_a_match_not_a_decode_once_features_are_cached(tmp_path):
    import numpy as np

    from duplicalt.pairing.grouping import Pairs
    from duplicalt.pairing.verification import verify_pairs
    from duplicalt.photos.cache import Cache
    paths = [save(textured(k % 3), tmp_path / f"{k}.jpg", quality=80 + k) for k in range(6)]
    entries = [_entry(p, tmp_path) for p in paths]
    pairs = Pairs(np.array([0, 0, 1, 2]), np.array([3, 1, 4, 5]), np.float32([.9] * 4), 0.5, 6)
    cache = Cache(tmp_path / "c.sqlite")
    first = OrbMatcher()
    a = verify_pairs(pairs, entries, first, cache)
    assert first.decoded == 6
    second = OrbMatcher()
    second.name = "another-verifier-same-features"  # its scores are not cached: it must match
    b = verify_pairs(pairs, entries, second, cache)
    assert second.decoded == 0 and np.array_equal(a.scores, b.scores)
    assert a.scores[0] >= first.min_inliers and a.scores[1] < first.min_inliers


def _entry(path, root):
    from duplicalt.photos.types import FileEntry
    st = path.stat()
    return FileEntry(path, path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns, "jpeg")


def test_featureless_photos_of_other_colours_are_rejected_and_resized_copies_left_to_the_embedding(tmp_path):
    import numpy as np
    from PIL import Image

    def plain(colour, size=(300, 200)):
        """A smooth object on white: too little texture for ORB's 25 keypoints."""
        y, x = np.mgrid[0:size[1], 0:size[0]]
        inside = ((x - size[0] / 2) / (size[0] / 3)) ** 2 + ((y - size[1] / 2) / (size[1] / 3)) ** 2 < 1
        arr = np.full((size[1], size[0], 3), 255, np.uint8)
        arr[inside] = colour
        return Image.fromarray(arr).filter(ImageFilter.GaussianBlur(6))

    from PIL import ImageFilter
    red = save(plain((200, 30, 30)), tmp_path / "red.png")
    small_red = save(plain((200, 30, 30)).resize((150, 100)), tmp_path / "small_red.png")
    blue = save(plain((30, 30, 200)), tmp_path / "blue.png")
    m = OrbMatcher()
    assert len(m.features(red).points) < m.min_keypoints  # the case under test
    same, other = m.verify([(red, small_red), (red, blue)])
    assert same is None  # inconclusive: the embedding's featureless rule decides
    assert other == 0 and not m.accepts(other, 0.99)  # another colour: rejected


def test_a_plain_pair_below_the_embeddings_bar_is_not_judged(tmp_path, monkeypatch):
    """A featureless pair can only be accepted at similarity >= featureless_threshold:
    below it the colour checks are skipped (NOT_JUDGED), above it they run as before."""
    from PIL import Image

    from duplicalt.ml import matcher as matcher_module
    from duplicalt.ml.matcher import NOT_JUDGED

    flat = save(Image.new("RGB", (200, 200), (120, 130, 140)), tmp_path / "flat.png")
    other = save(Image.new("RGB", (200, 200), (200, 30, 30)), tmp_path / "red.png")
    m = OrbMatcher()
    checked = []
    real = matcher_module.colour_mismatch
    monkeypatch.setattr(matcher_module, "colour_mismatch",
                        lambda *a, **k: checked.append(1) or real(*a, **k))
    low = m.verify_similar([(flat, other)], [m.featureless_threshold - 0.01])
    assert low == [NOT_JUDGED] and checked == []
    high = m.verify_similar([(flat, other)], [m.featureless_threshold + 0.01])
    assert high == m.verify([(flat, other)]) and checked
    assert not m.accepts(-1, m.featureless_threshold - 0.01)  # what NOT_JUDGED becomes
