"""Named edit families that make near-duplicate copies of a photo (Pillow only).

Used by `duplicalt evaluate` to build a benchmark with a fixed seed. Each
family is what users actually do to photos: re-save, crop, rotate, mirror,
recolour, caption, frame, export in another format.
"""
from __future__ import annotations

import io
import random
from typing import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Edit = Callable[[Image.Image, random.Random], Image.Image]


def _crop_frac(img: Image.Image, frac: float, rng: random.Random) -> Image.Image:
    """Remove ``frac`` of the width and height, split at random between the sides."""
    w, h = img.size
    dw, dh = int(w * frac), int(h * frac)
    left, top = rng.randint(0, dw), rng.randint(0, dh)
    return img.crop((left, top, left + w - dw, top + h - dh))


def _reencode(img: Image.Image, fmt: str, **kw) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def text_overlay(img: Image.Image, rng: random.Random) -> Image.Image:
    out = img.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    size = max(12, h // 10)
    words = rng.choice(["Summer 2019", "HAPPY BIRTHDAY!", "@holiday_pics", "Best day ever",
                        "Copyright J. Doe", "Paris, France"])
    x, y = rng.randint(0, max(1, w // 3)), rng.choice([h // 20, h - size * 2])
    colour = rng.choice([(255, 255, 255), (255, 230, 0), (0, 0, 0)])
    draw.text((x, y), words, fill=colour, font=_font(size), stroke_width=max(1, size // 12),
              stroke_fill=(0, 0, 0) if colour != (0, 0, 0) else (255, 255, 255))
    return out


def border(img: Image.Image, rng: random.Random) -> Image.Image:
    w, h = img.size
    pad = int(max(w, h) * rng.uniform(0.05, 0.12))
    colour = rng.choice([(255, 255, 255), (0, 0, 0), (30, 30, 30), (240, 235, 220)])
    return ImageOps.expand(img, border=pad, fill=colour)


def small_rotation(img: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice([-1, 1]) * rng.uniform(3, 8)
    return img.rotate(angle, resample=Image.BILINEAR, expand=False, fillcolor=(0, 0, 0))


def squeeze(img: Image.Image, rng: random.Random) -> Image.Image:
    w, h = img.size
    f = rng.uniform(0.7, 0.85)
    return img.resize((int(w * f), h) if rng.random() < 0.5 else (w, int(h * f)), Image.BICUBIC)


def exif_rotated(img: Image.Image, rng: random.Random) -> Image.Image:
    """Pixels stored rotated with an EXIF tag saying how to show them upright:
    the decoded photo is the original. (Written as bytes by the benchmark.)"""
    stored = img.transpose(Image.Transpose.ROTATE_90)  # tag 6 rotates it back
    stored.info["duplicalt_exif_orientation"] = 6
    return stored


def combined(img: Image.Image, rng: random.Random) -> Image.Image:
    out = _crop_frac(img, 0.1, rng)
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(1.1, 1.3))
    out = out.resize((out.width * 2 // 3, out.height * 2 // 3), Image.BICUBIC)
    out = text_overlay(out, rng)
    return _reencode(out, "JPEG", quality=40)


FAMILIES: dict[str, Edit] = {
    "resize": lambda im, r: im.resize((im.width // 2, im.height // 2), Image.BICUBIC),
    "thumbnail": lambda im, r: ImageOps.contain(im, (160, 160)),
    "jpeg_q15": lambda im, r: _reencode(im, "JPEG", quality=15),
    "crop10": lambda im, r: _crop_frac(im, 0.10, r),
    "crop25": lambda im, r: _crop_frac(im, 0.25, r),
    "centre_crop70": lambda im, r: ImageOps.crop(im, (int(im.width * .15), int(im.height * .15))),
    "brightness": lambda im, r: ImageEnhance.Brightness(im).enhance(r.choice([0.6, 1.4])),
    "contrast": lambda im, r: ImageEnhance.Contrast(im).enhance(r.choice([0.6, 1.5])),
    "saturation": lambda im, r: ImageEnhance.Color(im).enhance(r.choice([0.3, 1.8])),
    "grayscale": lambda im, r: ImageOps.grayscale(im).convert("RGB"),
    "hflip": lambda im, r: ImageOps.mirror(im),
    "rot90": lambda im, r: im.transpose(r.choice([Image.Transpose.ROTATE_90,
                                                  Image.Transpose.ROTATE_270])),
    "small_rotation": small_rotation,
    "text_overlay": text_overlay,
    "border": border,
    "squeeze": squeeze,
    "blur": lambda im, r: im.filter(ImageFilter.GaussianBlur(max(1.5, im.width / 250))),
    "webp": lambda im, r: _reencode(im, "WEBP", quality=70),
    "png": lambda im, r: im.copy(),
    "exif_orientation": exif_rotated,
    "combined": combined,
}

FORMATS = {"webp": ("WEBP", ".webp", {"quality": 70}), "png": ("PNG", ".png", {})}


def save_edit(family: str, img: Image.Image, stem: str, folder) -> str:
    """Write an edited copy the way a user's tool would; returns the file name."""
    fmt, ext, kw = FORMATS.get(family, ("JPEG", ".jpg", {"quality": 90}))
    name = f"{stem}__{family}{ext}"
    orientation = img.info.get("duplicalt_exif_orientation")
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw = {**kw, "exif": exif.tobytes()}
    img.save(folder / name, format=fmt, **kw)
    return name
