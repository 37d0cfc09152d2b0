import numpy as np
from PIL import Image, ImageOps

from duplicalt.ml.model.preprocess import Preprocess, border_box


def _photo_on_a_plain_backdrop() -> Image.Image:
    """A textured object on a uniform blue backdrop that reaches the edges."""
    rng = np.random.default_rng(0)
    a = np.zeros((120, 160, 3), np.uint8)
    a[:] = (40, 90, 200)
    a[30:100, 40:140] = rng.integers(0, 256, (70, 100, 3))
    return Image.fromarray(a)


def test_more_passes_trim_a_framed_plain_backdrop_like_the_photo_alone():
    photo = _photo_on_a_plain_backdrop()
    framed = ImageOps.expand(photo, 20, fill="white")
    alone = border_box(photo)
    assert alone != (0, 0, 160, 120)  # the backdrop itself reads as uniform edges
    one = border_box(framed)
    assert one == (20, 20, 180, 140)  # one pass stops at the frame's inner edge
    three = border_box(framed, passes=3)
    assert three == tuple(v + 20 for v in border_box(photo, passes=3))


def test_passes_never_keep_less_than_the_minimum_share():
    flat = Image.new("RGB", (100, 80), (10, 10, 10))
    left, top, right, bottom = border_box(ImageOps.expand(flat, 10, fill="white"), passes=5)
    assert right - left >= 0.3 * 120 and bottom - top >= 0.3 * 100


def test_the_trim_passes_are_part_of_the_cache_key():
    meta = {"input_size": 64, "mean": [0.5] * 3, "std": [0.25] * 3, "trim_borders": True}
    one, three = Preprocess.from_meta(meta), Preprocess.from_meta({**meta, "trim_passes": 3})
    assert one.key.endswith(":trim1")  # unchanged for caches written before the option
    assert three.key.endswith(":trim3")
