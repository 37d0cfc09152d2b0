"""Test-only edit families: copies the encoder never saw in training.

Written for the evaluation alone (Pillow + NumPy), not derived from the training
augmentations in duplicalt/ml/training (a test fails if the trainer imports this
module). They are applied to the originals of the test split only. Each edit gets
the photo, a seeded ``random.Random`` and ``fillers``: other photos that are NOT
in the benchmark folder (the calibration split's distractors), used where an edit
needs other pictures (a collage, a gallery app around the photo).
"""
from __future__ import annotations

import io
import math
import random
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

HeldOutEdit = Callable[[Image.Image, random.Random, Sequence[Image.Image]], Image.Image]


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _fit(img: Image.Image, box: tuple[int, int]) -> Image.Image:
    return ImageOps.contain(img, box, Image.LANCZOS)


def phone_screenshot(img, rng, fillers):
    """The photo shown in a phone's gallery/chat app, screenshotted: status bar,
    toolbar, the photo fitted to the width, a strip of other thumbnails, nav bar."""
    w, h = 540, rng.choice([1170, 1200, 1080])
    dark = rng.random() < 0.5
    bg, fg = ((16, 16, 18), (235, 235, 235)) if dark else ((250, 250, 250), (20, 20, 20))
    shot = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(shot)
    d.text((24, 12), f"{rng.randint(7, 23)}:{rng.randint(0, 59):02d}", fill=fg, font=_font(26))
    for k in range(3):  # signal / wifi / battery icons
        d.rectangle((w - 120 + 34 * k, 16, w - 96 + 34 * k, 38), outline=fg, width=3)
    bar = rng.choice([(0, 122, 255), (37, 211, 102), bg, (98, 0, 238)])
    d.rectangle((0, 56, w, 150), fill=bar)
    d.text((80, 86), rng.choice(["Photos", "Gallery", "Chat", "Family group"]), fill=fg, font=_font(34))
    d.polygon([(30, 103), (50, 83), (50, 123)], fill=fg)
    photo = _fit(img, (w, int(h * 0.55)))
    top = 150 + (int(h * 0.62) - photo.height) // 2
    shot.paste(photo, ((w - photo.width) // 2, top))
    y = h - 260
    for k, other in enumerate(list(fillers)[:4]):
        shot.paste(ImageOps.fit(other, (120, 120)), (14 + k * 130, y))
    d.rectangle((0, h - 90, w, h), fill=bg)
    for k in range(3):
        d.ellipse((w * (k + 1) // 4 - 18, h - 63, w * (k + 1) // 4 + 18, h - 27), outline=fg, width=4)
    return shot


def collage(img, rng, fillers):
    """A 2-4 cell collage (grid or strip) of this photo and other pictures."""
    n = rng.randint(2, 4)
    cells = [img] + list(fillers)[: n - 1]
    rng.shuffle(cells)
    gap, side = rng.choice([0, 8, 16]), 400
    if n == 4:
        grid = [(0, 0), (1, 0), (0, 1), (1, 1)]
        size = (2 * side + 3 * gap, 2 * side + 3 * gap)
    else:
        grid = [(k, 0) for k in range(n)] if rng.random() < 0.5 else [(0, k) for k in range(n)]
        cols, rows = max(g[0] for g in grid) + 1, max(g[1] for g in grid) + 1
        size = (cols * side + (cols + 1) * gap, rows * side + (rows + 1) * gap)
    out = Image.new("RGB", size, rng.choice([(255, 255, 255), (0, 0, 0), (230, 220, 200)]))
    for cell, (cx, cy) in zip(cells, grid):
        out.paste(ImageOps.fit(cell, (side, side)), (gap + cx * (side + gap), gap + cy * (side + gap)))
    return out


def logo_watermark(img, rng, fillers):
    """A semi-transparent studio logo: ring + name, in a corner or tiled across."""
    out = img.convert("RGBA")
    w, h = out.size
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    alpha = rng.randint(90, 160)
    colour = rng.choice([(255, 255, 255), (0, 0, 0), (200, 30, 30)])
    name = rng.choice(["LUMEN STUDIO", "PhotoArt", "(c) mk-photo", "SHUTTERSHOP"])
    r = max(8, min(w, h) // 12)
    spots = [(w - 4 * r, h - 2 * r)] if rng.random() < 0.5 else \
        [(x, y) for x in range(r, w, 6 * r) for y in range(r, h, 4 * r)]
    for x, y in spots:
        d.ellipse((x - r, y - r, x + r, y + r), outline=colour + (alpha,), width=max(2, r // 5))
        d.text((x + r + 4, y - r // 2), name, fill=colour + (alpha,), font=_font(r))
    return Image.alpha_composite(out, layer).convert("RGB")


def sticker_emoji(img, rng, fillers):
    """2-5 opaque round stickers (smiley faces, hearts) stuck over the picture."""
    out = img.copy()
    d = ImageDraw.Draw(out)
    w, h = out.size
    for _ in range(rng.randint(2, 5)):
        r = int(min(w, h) * rng.uniform(0.06, 0.11))
        x, y = rng.randint(r, max(r + 1, w - r)), rng.randint(r, max(r + 1, h - r))
        if rng.random() < 0.6:
            d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 204, 0), outline=(120, 80, 0), width=2)
            d.ellipse((x - r // 2, y - r // 3, x - r // 5, y), fill=(60, 30, 0))
            d.ellipse((x + r // 5, y - r // 3, x + r // 2, y), fill=(60, 30, 0))
            d.arc((x - r // 2, y - r // 4, x + r // 2, y + r // 2), 20, 160, fill=(60, 30, 0), width=3)
        else:
            d.ellipse((x - r, y - r, x, y), fill=(230, 20, 60))
            d.ellipse((x, y - r, x + r, y), fill=(230, 20, 60))
            d.polygon([(x - r, y - r // 2), (x + r, y - r // 2), (x, y + r)], fill=(230, 20, 60))
    return out


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]):
    """Coefficients for Image.transform(PERSPECTIVE) mapping output dst -> input src."""
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array(src, dtype=np.float64).reshape(8)
    return np.linalg.solve(a, b).tolist()


def perspective(img, rng, fillers):
    """A photo of the photo taken at an angle: the corners pulled in by 4-12 %."""
    w, h = img.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    moved = [(x + (1 if x == 0 else -1) * w * rng.uniform(0.0, 0.12),
              y + (1 if y == 0 else -1) * h * rng.uniform(0.0, 0.12)) for x, y in corners]
    fill = rng.choice([(0, 0, 0), (255, 255, 255), (90, 80, 70)])
    return img.transform((w, h), Image.PERSPECTIVE, _perspective_coeffs(corners, moved),
                         Image.BICUBIC, fillcolor=fill)


def vignette(img, rng, fillers):
    """Darkened corners (a radial falloff), often with a warm cast."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    strength = rng.uniform(0.5, 0.85)
    mask = 1.0 - strength * np.clip((r - 0.35) / 0.65, 0, 1) ** 1.5
    tint = np.array([1.0, rng.uniform(0.92, 1.0), rng.uniform(0.8, 0.95)], dtype=np.float32)
    return Image.fromarray(np.clip(a * mask[..., None] * tint, 0, 255).astype(np.uint8))


def blurred_letterbox(img, rng, fillers):
    """Fitted into a square or 9:16 frame whose background is a blurred,
    enlarged copy of the photo itself (the story/reel export)."""
    w, h = img.size
    frame = rng.choice([(1080, 1080), (720, 1280), (1280, 720)])
    if abs(frame[0] / frame[1] - w / h) < 0.15:
        frame = (frame[1], frame[0])
    back = ImageOps.fit(img, frame).filter(ImageFilter.GaussianBlur(rng.uniform(18, 35)))
    back = Image.eval(back, lambda v: int(v * 0.8))
    front = _fit(img, (int(frame[0] * rng.uniform(0.85, 1.0)), int(frame[1] * rng.uniform(0.85, 1.0))))
    back.paste(front, ((frame[0] - front.width) // 2, (frame[1] - front.height) // 2))
    return back


def _curve(points: list[tuple[int, int]]) -> list[int]:
    xs, ys = zip(*points)
    return [int(round(v)) for v in np.interp(np.arange(256), xs, ys)]


FILTERS = {  # per channel tone curves (R, G, B): faded, teal-orange, warm, cold, sepia-ish
    "fade": [_curve([(0, 40), (255, 235)])] * 3,
    "tealorange": [_curve([(0, 10), (128, 150), (255, 255)]), _curve([(0, 20), (255, 240)]),
                   _curve([(0, 50), (128, 120), (255, 210)])],
    "warm": [_curve([(0, 20), (255, 255)]), _curve([(0, 5), (255, 235)]), _curve([(0, 0), (255, 200)])],
    "cold": [_curve([(0, 0), (255, 215)]), _curve([(0, 10), (255, 245)]), _curve([(0, 35), (255, 255)])],
    "punch": [_curve([(0, 0), (64, 40), (192, 220), (255, 255)])] * 3,
}


def social_filter(img, rng, fillers):
    """An app filter: tone curves per channel, then a light saturation change."""
    name = rng.choice(sorted(FILTERS))
    lut = [v for channel in FILTERS[name] for v in channel]
    out = img.convert("RGB").point(lut)
    grey = ImageOps.grayscale(out).convert("RGB")
    return Image.blend(grey, out, rng.uniform(0.6, 1.4))


def crop_keep(img, rng, lo: float = 0.3, hi: float = 0.5):
    """A crop keeping ``lo``-``hi`` of the area, any aspect within 0.6-1.6x."""
    w, h = img.size
    area = rng.uniform(lo, hi) * w * h
    aspect = rng.uniform(0.6, 1.6) * w / h
    cw = int(min(w, max(8, math.sqrt(area * aspect))))
    ch = int(min(h, max(8, area / cw)))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return img.crop((x, y, x + cw, y + ch))


def crop_30_50(img, rng, fillers):
    return crop_keep(img, rng)


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def chain3(img, rng, fillers):
    """Three different held-out edits in a row, then a low-quality re-save."""
    steps = rng.sample([vignette, social_filter, logo_watermark, sticker_emoji, perspective,
                        lambda im, r, f: crop_keep(im, r, 0.6, 0.85)], 3)
    for step in steps:
        img = step(img, rng, fillers)
    return _jpeg(img, rng.randint(40, 70))


HELD_OUT: dict[str, HeldOutEdit] = {
    "ho_screenshot": phone_screenshot,
    "ho_collage": collage,
    "ho_watermark": logo_watermark,
    "ho_stickers": sticker_emoji,
    "ho_perspective": perspective,
    "ho_vignette": vignette,
    "ho_blur_letterbox": blurred_letterbox,
    "ho_filter": social_filter,
    "ho_chain3": chain3,
    "ho_crop30_50": crop_30_50,
}
