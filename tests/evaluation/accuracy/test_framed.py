"""The calibration-only framed families: each shows the whole photo, unchanged
but for its scale, inside a larger picture."""
import random

import numpy as np
from PIL import Image

from duplicalt.evaluation.accuracy.framed import FRAMED, WITH_OTHERS, butted_mosaic, soft_backdrop
from tests.sample_photos import make_photo


def best_match(canvas: Image.Image, photo: Image.Image) -> float:
    """The smallest mean |difference| between ``photo`` and the same-sized
    windows of ``canvas`` (a coarse search, then around the best)."""
    c = np.asarray(canvas, np.float32)
    p = np.asarray(photo, np.float32)
    h, w = p.shape[:2]
    best = np.inf
    for y in range(0, c.shape[0] - h + 1, 2):
        for x in range(0, c.shape[1] - w + 1, 2):
            best = min(best, float(np.abs(c[y:y + h, x:x + w] - p).mean()))
    return best


def test_soft_backdrop_pastes_the_photo_centred_on_a_canvas_of_another_shape():
    photo = make_photo(3, (400, 300))
    for seed in range(4):
        out = soft_backdrop(photo, random.Random(seed), [])
        assert abs(out.width / out.height - 4 / 3) >= 0.2
        r = random.Random(seed)  # the family's draws, in its order: canvas, brightness, fit
        r.choice([0, 1, 2, 3]), r.uniform(0.85, 1.15)
        fit = min(out.width / 400, out.height / 300) * r.uniform(0.8, 0.97)
        front = photo.resize((round(400 * fit), round(300 * fit)), Image.BICUBIC)
        x, y = (out.width - front.width) // 2, (out.height - front.height) // 2
        inside = np.asarray(out.crop((x, y, x + front.width, y + front.height)))
        assert np.array_equal(inside, np.asarray(front))


def test_mosaic_holds_the_photo_at_its_own_shape_beside_the_others():
    photo = make_photo(5, (120, 90))
    others = [make_photo(s, (100, 100)) for s in (6, 7)]
    for seed in range(6):
        out = butted_mosaic(photo, random.Random(seed), others)
        # a row or the large cell share the canvas height, a column its width
        sizes = [(round(120 * f), round(90 * f)) for f in (out.height / 90, out.width / 120)]
        found = [best_match(out, photo.resize(size, Image.BICUBIC)) for size in sizes
                 if size[0] <= out.width and size[1] <= out.height]
        assert found and min(found) < 6, f"seed {seed}: the photo is not in the mosaic"
        assert np.asarray(out).std(axis=(0, 1)).min() > 10  # the others are there too


def test_only_the_families_that_take_other_pictures_draw_fillers():
    assert set(WITH_OTHERS) <= set(FRAMED)
    assert "cal_soft_backdrop" in FRAMED and "cal_soft_backdrop" not in WITH_OTHERS
