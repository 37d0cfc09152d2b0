"""Calibration-only framed families: the photo as one part of a larger picture.

The test split's screenshot and collage families (heldout.py) must stay unseen
by every choice we make, so the region vectors that look for a photo inside a
larger picture are chosen on these instead: written separately, with other
layouts (an album page of pictures of mixed shapes with captions, a desktop
window with a title bar, a side list and a comment box, a photo padded onto a
smoothed copy of itself, a mosaic of pictures butted together without gaps). Applied to the
calibration originals only; their other pictures are ordinary training photos
that are in neither split (splitbench.album_fillers).
"""
from __future__ import annotations

import random
from typing import Callable, Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

FramedEdit = Callable[[Image.Image, random.Random, Sequence[Image.Image]], Image.Image]

_WORDS = ["beach", "Grandma", "2017", "our trip", "the lake", "June", "party", "IMG", "view",
          "Sunday", "garden", "new car", "museum", "snow", "dinner", "family"]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _scaled(img: Image.Image, long_side: int) -> Image.Image:
    w, h = img.size
    s = long_side / max(w, h)
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BICUBIC)


def album_page(img, rng, others):
    """A printed-album / web-gallery page: 3-6 pictures of their own shapes in
    rows on a plain page, a caption line under each, a heading on top."""
    n = rng.randint(3, 6)
    pics = [img] + list(others)[: n - 1]
    rng.shuffle(pics)
    per_row = rng.choice([2, 3])
    gap = rng.randint(10, 40)
    cell = rng.randint(220, 340)
    page = rng.choice([(245, 245, 240), (28, 28, 30), (255, 255, 255), (60, 64, 72)])
    ink = (30, 30, 30) if sum(page) > 380 else (220, 220, 220)
    rows = (len(pics) + per_row - 1) // per_row
    w = gap + per_row * (cell + gap)
    h = 70 + rows * (cell + 34 + gap) + gap
    out = Image.new("RGB", (w, h), page)
    d = ImageDraw.Draw(out)
    d.text((gap, 20), _text(rng, 3).title(), fill=ink, font=ImageFont.load_default())
    for k, pic in enumerate(pics):
        r, c = divmod(k, per_row)
        p = _scaled(pic, cell)
        x0 = gap + c * (cell + gap) + (cell - p.width) // 2
        y0 = 70 + r * (cell + 34 + gap) + (cell - p.height) // 2
        out.paste(p, (x0, y0))
        d.text((gap + c * (cell + gap), 70 + r * (cell + 34 + gap) + cell + 8), _text(rng, 2),
               fill=ink, font=ImageFont.load_default())
    return out


def desktop_window(img, rng, others):
    """A desktop photo viewer window: title bar, a side list with small
    thumbnails and names, the photo large in the content area, a comment box."""
    w, h = rng.choice([(1280, 800), (1024, 768), (1440, 900)])
    chrome = rng.choice([(236, 236, 236), (45, 45, 48)])
    ink = (20, 20, 20) if chrome[0] > 128 else (230, 230, 230)
    out = Image.new("RGB", (w, h), chrome)
    d = ImageDraw.Draw(out)
    d.rectangle((0, 0, w, 32), fill=tuple(max(0, v - 25) for v in chrome))
    d.text((12, 10), f"{_text(rng, 1)}_{rng.randint(1000, 9999)}.jpg - Viewer", fill=ink,
           font=ImageFont.load_default())
    for k, colour in enumerate([(255, 95, 86), (255, 189, 46), (39, 201, 63)]):
        d.ellipse((w - 80 + 24 * k, 10, w - 66 + 24 * k, 24), fill=colour)
    side = rng.randint(160, 240)
    for k, other in enumerate(list(others)[:5]):
        y = 50 + k * 70
        out.paste(_scaled(other, 56), (12, y))
        d.text((78, y + 20), _text(rng, 1), fill=ink, font=ImageFont.load_default())
    content = (side + 20, 50, w - 20, h - 110)
    photo = _scaled(img, min(content[2] - content[0], content[3] - content[1]))
    photo = _scaled(photo, int(max(photo.size) * rng.uniform(0.75, 1.0)))
    x0 = content[0] + rng.randint(0, content[2] - content[0] - photo.width)
    y0 = content[1] + rng.randint(0, content[3] - content[1] - photo.height)
    out.paste(photo, (x0, y0))
    d.rectangle((side + 20, h - 90, w - 20, h - 20), outline=ink, width=1)
    d.text((side + 30, h - 80), _text(rng, 5), fill=ink, font=ImageFont.load_default())
    return out


def soft_backdrop(img, rng, others):
    """The photo centred on a canvas of another shape whose background is the
    photo itself stretched over the canvas and smoothed away (the padded
    story / messenger export). The smoothing is a 1/16 downscale and bilinear
    upscale, the background lifted or dimmed by up to 15 %."""
    w, h = img.size
    canvas = rng.choice([(1080, 1350), (1200, 1200), (1600, 900), (900, 1600)])
    if abs(canvas[0] / canvas[1] - w / h) < 0.2:
        canvas = (canvas[1], canvas[0]) if canvas[0] != canvas[1] else (1600, 900)
    cover = max(canvas[0] / w, canvas[1] / h)
    big = img.resize((max(canvas[0], round(w * cover)), max(canvas[1], round(h * cover))),
                     Image.BILINEAR)
    x0, y0 = (big.width - canvas[0]) // 2, (big.height - canvas[1]) // 2
    back = big.crop((x0, y0, x0 + canvas[0], y0 + canvas[1]))
    back = back.resize((max(1, canvas[0] // 16), max(1, canvas[1] // 16)), Image.BOX)
    back = back.resize(canvas, Image.BILINEAR)
    back = back.point(lambda v, f=rng.uniform(0.85, 1.15): min(255, int(v * f)))
    fit = min(canvas[0] / w, canvas[1] / h) * rng.uniform(0.8, 0.97)
    front = img.resize((max(1, round(w * fit)), max(1, round(h * fit))), Image.BICUBIC)
    back.paste(front, ((canvas[0] - front.width) // 2, (canvas[1] - front.height) // 2))
    return back


def butted_mosaic(img, rng, others):
    """A phone-app mosaic without gaps: the photo and 1-2 other pictures
    butted edge to edge, in a row (one height), a column (one width), or the
    photo large beside two others stacked and cropped to fill their cells."""
    layout = rng.choice(["row", "column", "big"])
    pics = [img] + list(others)[:rng.randint(1, 2) if layout != "big" else 2]
    if layout == "big":
        h = rng.randint(360, 520)
        main = img.resize((max(1, round(img.width * h / img.height)), h), Image.BICUBIC)
        side = rng.randint(h // 2, h)
        out = Image.new("RGB", (main.width + side, h))
        pos = [(0, 0), (main.width, 0)] if rng.random() < 0.5 else [(side, 0), (0, 0)]
        out.paste(main, pos[0])
        for k, other in enumerate(pics[1:]):
            top = k * (h // 2)
            cell = ImageOps.fit(other, (side, h // 2 if k == 0 else h - h // 2))
            out.paste(cell, (pos[1][0], top))
        return out
    rng.shuffle(pics)
    along = rng.randint(300, 480)
    if layout == "row":
        cells = [p.resize((max(1, round(p.width * along / p.height)), along), Image.BICUBIC) for p in pics]
        out = Image.new("RGB", (sum(c.width for c in cells), along))
        offsets = [(sum(c.width for c in cells[:k]), 0) for k in range(len(cells))]
    else:
        cells = [p.resize((along, max(1, round(p.height * along / p.width))), Image.BICUBIC) for p in pics]
        out = Image.new("RGB", (along, sum(c.height for c in cells)))
        offsets = [(0, sum(c.height for c in cells[:k])) for k in range(len(cells))]
    for cell, at in zip(cells, offsets):
        out.paste(cell, at)
    return out


FRAMED: dict[str, FramedEdit] = {"cal_album_page": album_page, "cal_desktop_window": desktop_window,
                                 "cal_soft_backdrop": soft_backdrop, "cal_mosaic": butted_mosaic}
WITH_OTHERS = ("cal_album_page", "cal_desktop_window", "cal_mosaic")  # families taking others
