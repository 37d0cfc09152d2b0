"""suggest_keeper: the original by evidence read from the files (frame, colour,
caption, camera EXIF, date, resolution, compression, sharpness, re-encode), then
the listed facts; reference photos first."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from duplicalt.review.keeper import ALL_PAIRS, KeeperFacts, suggest_keeper
from duplicalt.photos.types import FileEntry, PhotoInfo
from duplicalt.pairing.types import Member
from tests.sample_photos import make_photo


def f(rel="a.jpg", size=100, w=10, h=10, taken=None):
    return KeeperFacts(rel, size, w, h, taken)


@pytest.mark.parametrize("members, expected", [
    ([f(w=10), f(w=20)], (1, "highest resolution")),
    ([f(size=300), f(size=100)], (0, "largest file")),
    ([f(), f(taken="2020-01-01 00:00:00")], (1, "has the capture date (EXIF)")),
    ([f(taken="2021-01-01 00:00:00"), f(taken="2020-01-01 00:00:00")], (1, "earlier capture date")),
    ([f(rel="deep/copy/a.jpg"), f(rel="a.jpg")], (1, "shortest path")),
    ([f(rel="b.jpg"), f(rel="a.jpg")], (1, "first by name")),
    ([f()], (0, "only file")),
])
def test_facts_alone_in_order(members, expected):
    assert suggest_keeper(members) == expected


def photo(size=(480, 360), seed=3) -> Image.Image:
    """Textured enough that blur, captions and re-encodes show."""
    img = make_photo(seed, size)
    noise = np.random.default_rng(seed).normal(0, 12, (size[1], size[0], 3))
    return Image.fromarray((np.asarray(img, np.float32) + noise).clip(0, 255).astype(np.uint8))


def member(path: Path) -> Member:
    with Image.open(path) as img:
        w, h = img.size
        fmt = img.format
    st = path.stat()
    return Member(FileEntry(path, path.name, st.st_size, st.st_mtime_ns, fmt.lower()),
                  PhotoInfo(w, h, fmt), 1.0)


def judge(tmp_path, original: Image.Image, copy: Image.Image, copy_ext=".jpg", exif=None,
          copy_kw=None) -> tuple[bool, str]:
    """Both orders: the original must win either way; returns (won both, reason)."""
    a = tmp_path / "x1.jpg"
    original.save(a, quality=90, **({"exif": exif} if exif else {}))
    b = tmp_path / f"x2{copy_ext}"
    copy.save(b, **(copy_kw if copy_kw is not None else {"quality": 90}))
    first = suggest_keeper([member(a), member(b)])
    second = suggest_keeper([member(b), member(a)])
    return first[0] == 0 and second[0] == 1, first[1]


def test_a_bordered_copy_is_the_copy_though_larger(tmp_path):
    img = photo()
    ok, reason = judge(tmp_path, img, ImageOps.expand(img, border=40, fill=(255, 255, 255)))
    assert ok and "border" in reason


def test_colour_beats_grayscale(tmp_path):
    img = photo()
    ok, reason = judge(tmp_path, img, ImageOps.grayscale(img).convert("RGB"))
    assert ok and "grayscale" in reason


def test_a_caption_marks_the_copy(tmp_path):
    img = photo(seed=5).filter(ImageFilter.GaussianBlur(2))
    captioned = img.copy()
    ImageDraw.Draw(captioned).text((20, 300), "HAPPY BIRTHDAY", fill=(255, 255, 255),
                                   stroke_width=2, stroke_fill=(0, 0, 0),
                                   font_size=36) if _pillow_sizes() else None
    ok, reason = judge(tmp_path, img, captioned)
    assert ok and "caption" in reason


def _pillow_sizes() -> bool:
    try:
        ImageDraw.Draw(Image.new("RGB", (4, 4))).text((0, 0), "x", font_size=8)
        return True
    except TypeError:
        pytest.skip("Pillow too old for font_size")


def test_the_jpeg_beats_its_lossless_png_re_encode(tmp_path):
    a = tmp_path / "x1.jpg"
    photo().save(a, quality=92)
    b = tmp_path / "x2.png"
    Image.open(a).save(b)
    assert b.stat().st_size > a.stat().st_size  # "largest file" would pick the PNG
    index, reason = suggest_keeper([member(b), member(a)])
    assert index == 1 and "re-encode" in reason


def test_camera_exif_beats_a_stripped_copy(tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 80D"
    img = photo()
    ok, reason = judge(tmp_path, img, img, exif=exif.tobytes(), copy_kw={"quality": 97})
    assert ok and "Canon" in reason


def test_sharper_beats_blurred(tmp_path):
    img = photo()
    ok, reason = judge(tmp_path, img, img.filter(ImageFilter.GaussianBlur(2.5)))
    assert ok and "sharper" in reason


def test_much_less_compressed_beats_a_q15_copy(tmp_path):
    img = photo()
    ok, reason = judge(tmp_path, img, img, copy_kw={"quality": 15})
    assert ok and reason.startswith(("less compressed", "sharper", "largest"))


def test_a_reference_photo_is_the_keeper(tmp_path):
    small, big = f(w=10), f(w=20)
    assert suggest_keeper([small, big], reference=[True, False]) == (0, "in a reference folder")
    index, reason = suggest_keeper([f(w=5), small, big], reference=[False, True, True])
    assert index == 2 and reason.startswith("in a reference folder")


def test_a_large_group_is_judged_in_one_pass():
    members = [f(rel=f"{k}.jpg", w=10 + k % 7) for k in range(ALL_PAIRS * 4)]
    index, reason = suggest_keeper(members)
    assert members[index].width == 16 and reason == "highest resolution"


def test_accepts_scan_members_and_json_dicts(tmp_path):
    def m(rel, size, w, h, taken=None):
        entry = FileEntry(Path("/nowhere") / rel, rel, size, 1, "jpeg")
        return Member(entry, PhotoInfo(w, h, "JPEG", taken), 1.0)

    assert suggest_keeper([m("a.jpg", 10, 8, 8), m("b.jpg", 5, 16, 16)]) == (
        1, "highest resolution")
    no_info = Member(FileEntry(Path("/nowhere/c.jpg"), "c.jpg", 10, 1, "jpeg"), None, 1.0)
    assert suggest_keeper([no_info, m("b.jpg", 5, 16, 16)])[0] == 1
    dicts = [{"rel": "x.jpg", "size": 5, "width": None, "height": None, "taken": None},
             {"rel": "y.jpg", "size": 9, "width": None, "height": None, "taken": None}]
    assert suggest_keeper(dicts) == (1, "largest file")


def test_empty_group_is_an_error():
    with pytest.raises(ValueError):
        suggest_keeper([])


def test_a_page_showing_the_photo_is_not_its_original(tmp_path):
    from dataclasses import replace
    img = photo()
    a, b = tmp_path / "photo.jpg", tmp_path / "page.jpg"
    img.save(a, quality=90)
    page = Image.new("RGB", (img.width * 3, img.height * 2), (250, 250, 245))
    page.paste(img, (20, 20))
    page.save(b, quality=95)
    plain = [member(a), member(b)]
    assert suggest_keeper(plain)[0] == 1  # nothing else tells: the larger page wins
    shown = [member(a), replace(member(b), shows_another=True)]
    for order in (shown, shown[::-1]):
        k, reason = suggest_keeper(order)
        assert order[k].entry.rel == "photo.jpg" and "inside a larger picture" in reason
    dicts = [{"rel": "page.jpg", "size": 9, "width": 300, "height": 300, "shows_another": True},
             {"rel": "photo.jpg", "size": 5, "width": 100, "height": 100}]
    assert suggest_keeper(dicts)[0] == 1


def test_the_closed_form_line_is_numpys_least_squares_fit():
    from duplicalt.review.keeper import _line

    rng = np.random.default_rng(1)
    for _ in range(20):
        y = rng.normal(size=500).astype(np.float32)
        x = (rng.uniform(0.5, 2) * y + rng.normal(size=500) * 0.3 + rng.uniform(-1, 1))
        x = x.astype(np.float32)
        assert np.allclose(_line(y, x), np.polyfit(y, x, 1), atol=1e-5)
    flat = np.full(100, 0.25, np.float32)  # a constant y: numpy's own answer
    assert np.allclose(_line(flat, flat * 2), np.polyfit(flat, flat * 2, 1))
