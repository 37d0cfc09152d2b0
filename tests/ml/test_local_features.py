"""The colour checks of an aligned pair (ml/local_features): a copy's global colour
edit is explained by one colour map; a repainted object is not."""
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from duplicalt.ml.local_features import Features, colour_mismatch, thumbnail
from duplicalt.ml.matcher import MAX_MISMATCH
from tests.sample_photos import make_photo

IDENTITY = np.float32([[1, 0, 0], [0, 1, 0]])


def feats(img: Image.Image) -> Features:
    rgb = np.asarray(img.convert("RGB"))
    return Features(np.zeros((0, 2), np.float32), None, img.size, thumbnail(rgb))


def vignette(img: Image.Image, strength: float = 0.6) -> Image.Image:
    arr = np.asarray(img, np.float32)
    h, w = arr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    r2 = ((xs - w / 2) ** 2 + (ys - h / 2) ** 2) / ((w * w + h * h) / 4)
    return Image.fromarray((arr * (1 - strength * r2)[..., None]).clip(0, 255).astype(np.uint8))


def repainted(img: Image.Image) -> Image.Image:
    """The middle third of the picture in other colours (channels swapped), as a
    catalogue photo of the same model in another paint; the rest unchanged."""
    arr = np.asarray(img).copy()
    h, w = arr.shape[:2]
    part = arr[h // 4: 3 * h // 4, w // 4: 3 * w // 4]
    arr[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = 255 - part[..., ::-1]
    return Image.fromarray(arr)


def test_global_colour_edits_are_explained_by_one_map():
    for seed in range(4):
        photo = make_photo(seed, (320, 240))
        edits = [ImageEnhance.Brightness(photo).enhance(1.4),
                 ImageEnhance.Contrast(photo).enhance(0.6),
                 ImageEnhance.Color(photo).enhance(0.3),
                 ImageOps.grayscale(photo).convert("RGB"),
                 vignette(photo)]
        for edit in edits:
            m = colour_mismatch(feats(photo), feats(edit), IDENTITY)
            assert m is not None and m <= MAX_MISMATCH, (seed, m)


def test_a_repainted_object_is_not_a_colour_edit():
    for seed in range(4):
        photo = make_photo(seed, (320, 240))
        m = colour_mismatch(feats(photo), feats(repainted(photo)), IDENTITY)
        assert m is not None and m > MAX_MISMATCH, (seed, m)


def test_the_alignment_is_used():
    photo = make_photo(7, (320, 240))
    crop = photo.crop((40, 30, 280, 210))  # crop's pixel (x, y) is photo's (x + 40, y + 30)
    to_crop = np.float32([[1, 0, -40], [0, 1, -30]])
    aligned = colour_mismatch(feats(photo), feats(crop), to_crop)
    shifted = colour_mismatch(feats(photo), feats(crop), IDENTITY)
    assert aligned is not None and aligned <= MAX_MISMATCH / 2
    assert shifted is not None and shifted > aligned


def test_no_thumbnail_or_no_overlap_is_no_verdict():
    photo = make_photo(3, (320, 240))
    bare = Features(np.zeros((0, 2), np.float32), None, (320, 240), None)
    assert colour_mismatch(bare, feats(photo), IDENTITY) is None
    away = np.float32([[1, 0, 5000], [0, 1, 0]])
    assert colour_mismatch(feats(photo), feats(photo), away) is None


def test_the_colour_fit_is_numpy_least_squares_also_on_grey_terms():
    from duplicalt.ml.local_features import _colour_terms, _least_squares, _radius2
    rng = np.random.default_rng(3)
    colour = rng.random((900, 3), np.float32)
    grey = np.repeat(colour[:, :1], 3, 1)  # r = g = b: dependent terms
    radial = _radius2((30, 30)).ravel()
    y = rng.random((900, 3), np.float32)
    for rgb in (colour, grey):
        terms = _colour_terms(rgb, radial)
        ours = terms @ _least_squares(terms, y)
        theirs = terms @ np.linalg.lstsq(terms.astype(np.float64), y, rcond=None)[0]
        assert np.abs(ours - theirs).max() < 1e-4


def test_the_quantile_is_numpys():
    from duplicalt.ml.local_features import _quantile
    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 1000):
        values = rng.random(n)
        assert abs(_quantile(values, 0.8) - np.quantile(values, 0.8)) < 1e-12
