import random

import pytest

from duplicalt.photos.decode import load_photo
from duplicalt.evaluation.accuracy import dataset as bm
from duplicalt.evaluation.accuracy.edits import FAMILIES
from tests.sample_photos import make_photo, save

REQUIRED = {"resize", "thumbnail", "jpeg_q15", "crop10", "crop25", "centre_crop70", "brightness",
            "contrast", "saturation", "grayscale", "hflip", "rot90", "small_rotation",
            "text_overlay", "border", "squeeze", "blur", "webp", "png", "exif_orientation",
            "combined"}


def test_every_required_family_exists_and_is_deterministic():
    assert REQUIRED <= set(FAMILIES)
    img = make_photo(3, (200, 150))
    for name, edit in FAMILIES.items():
        a = edit(img, random.Random(5))
        b = edit(img, random.Random(5))
        assert a.tobytes() == b.tobytes(), name
        assert a.mode == "RGB" and min(a.size) > 20, name


def test_build_writes_originals_and_edits(tmp_path):
    originals = tmp_path / "orig"
    for k in range(4):
        save(make_photo(k, (160, 120)), originals / f"photo_{k}.jpg")
    truth = bm.build(originals, tmp_path / "work", per_family=2, seed=1)
    photos = tmp_path / "work" / "photos"
    assert len(truth.files) == 4 + 2 * len(FAMILIES)
    assert all((photos / name).is_file() for name in truth.files)
    exif = next(n for n, (_, f) in truth.files.items() if f == "exif_orientation")
    img, _ = load_photo(photos / exif)  # upright again after EXIF orientation
    assert img.size == (160, 120)
    again = bm.build(originals, tmp_path / "work", per_family=2, seed=1)
    assert again == truth  # reused, not rebuilt


def test_score_counts_pairs_and_families():
    truth = bm.Truth({"a.jpg": ("a", None), "a__hflip.jpg": ("a", "hflip"),
                      "a__rot90.jpg": ("a", "rot90"), "b.jpg": ("b", None)})
    predicted = {frozenset(("a.jpg", "a__hflip.jpg")), frozenset(("a.jpg", "b.jpg"))}
    s = bm.score(predicted, truth)
    assert s.precision == 0.5 and s.recall == pytest.approx(1 / 3)
    assert s.per_family == {"hflip": 1.0, "rot90": 0.0} and s.macro_recall == 0.5
    assert s.false_pairs == 1 and s.predicted == 2
