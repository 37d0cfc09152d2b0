"""Inference preprocessing: a decoded RGB photo -> normalised float tensor.

Optionally (``trim_borders``) uniform borders and letterbox bars are cut off
before the photo is squeezed, so a framed copy is embedded like the original.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from PIL import Image

BORDER_TOLERANCE = 24  # max channel difference from the border colour (JPEG ringing)
BORDER_SHARE = 0.97    # share of a line's pixels that must have the border colour
MIN_KEPT = 0.3         # never cut an axis below this share of its length


def _border_lines(lines: np.ndarray, limit: int) -> int:
    """How many leading lines (rows of ``lines``: (n, length, 3) uint8) share the
    first line's colour, up to ``limit``. Lines are compared in growing chunks,
    so a photo without a border costs one line, not the whole picture."""
    ref = np.median(lines[0], axis=0)
    start, step = 0, 8
    while start <= limit:
        stop = min(limit + 1, start + step)
        chunk = lines[start:stop].astype(np.int16)
        close = (np.abs(chunk - ref).max(axis=2) <= BORDER_TOLERANCE).mean(axis=1)
        bad = np.nonzero(close < BORDER_SHARE)[0]
        if len(bad):
            return start + int(bad[0])
        start, step = stop, step * 2
    return limit


def _one_pass(a: np.ndarray, min_h: int, min_w: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) inside the uniform lines at the edges of ``a``,
    keeping at least min_h x min_w."""
    h, w = a.shape[:2]
    cut_h, cut_w = max(0, h - min_h), max(0, w - min_w)
    top = _border_lines(a, cut_h)
    bottom = _border_lines(a[::-1], cut_h - top)
    left = _border_lines(a.transpose(1, 0, 2), cut_w)
    right = _border_lines(a.transpose(1, 0, 2)[::-1], cut_w - left)
    return left, top, w - right, h - bottom


def border_box(img: Image.Image, passes: int = 1) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside uniform borders/bars.
    With ``passes`` > 1 the inside is trimmed again while it still has uniform
    edges: a frame around a photo whose own edges are plain (a studio backdrop,
    a blue sky) then ends where the photo alone would, instead of one pass
    stopping at the frame's inner edge."""
    a = np.asarray(img.convert("RGB"))
    h, w = a.shape[:2]
    min_h, min_w = h - int(h * (1 - MIN_KEPT)), w - int(w * (1 - MIN_KEPT))
    left, top, right, bottom = 0, 0, w, h
    for _ in range(passes):
        l, t, r, b = _one_pass(a[top:bottom, left:right], min_h, min_w)
        if (l, t, r, b) == (0, 0, right - left, bottom - top):
            break
        left, top, right, bottom = left + l, top + t, left + r, top + b
    return left, top, right, bottom


def trim_borders(img: Image.Image, passes: int = 1) -> Image.Image:
    box = border_box(img, passes)
    return img if box == (0, 0, img.width, img.height) else img.crop(box)


@dataclass(frozen=True)
class Preprocess:
    size: int = 112
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    grayscale: bool = False  # embed luminance only: colour edits cannot move a vector
    trim_borders: bool = False  # cut uniform borders / letterbox bars first
    trim_passes: int = 1  # trim the inside again while its edges are uniform (border_box)
    centre: float = 0.0  # > 0: also embed the middle centre x centre of the (trimmed) photo

    @property
    def inputs(self) -> int:
        """Arrays per photo: the whole picture, and its centre when ``centre`` is set."""
        return 2 if self.centre else 1

    @property
    def decode_target(self) -> int:
        """The side a photo is decoded for: twice the input when a centre is cut out."""
        return self.size * (2 if self.centre else 1)

    @classmethod
    def from_meta(cls, meta: Mapping) -> "Preprocess":
        return cls(size=int(meta["input_size"]), mean=tuple(meta["mean"]), std=tuple(meta["std"]),
                   grayscale=bool(meta.get("grayscale", False)),
                   trim_borders=bool(meta.get("trim_borders", False)),
                   trim_passes=int(meta.get("trim_passes", 1)),
                   centre=float(meta.get("centre_pool", 0.0)))

    @property
    def key(self) -> str:
        """Everything here that changes a vector (part of the embedder's model_id)."""
        return f"{self.size}:{self.mean}:{self.std}" + (":gray" if self.grayscale else "") + \
            (f":trim{self.trim_passes}" if self.trim_borders else "") + \
            (f":centre{self.centre:g}" if self.centre else "")

    def to_array(self, img: Image.Image) -> np.ndarray:
        """Whole image (borders trimmed if asked) squeezed to size x size, uint8 HWC;
        with ``centre``, (2, size, size, C): the whole and its middle."""
        if self.trim_borders:
            img = trim_borders(img, self.trim_passes)
        if self.centre:
            w, h = img.size
            dx, dy = int(w * (1 - self.centre) / 2), int(h * (1 - self.centre) / 2)
            middle = img.crop((dx, dy, w - dx, h - dy)) if min(w - 2 * dx, h - 2 * dy) > 0 else img
            return np.stack([self._squeezed(img), self._squeezed(middle)])
        return self._squeezed(img)

    def _squeezed(self, img: Image.Image) -> np.ndarray:
        if self.grayscale:
            img = img.convert("L")
        if img.mode != "RGB":
            img = img.convert("RGB")
        if img.size != (self.size, self.size):
            img = img.resize((self.size, self.size), Image.BILINEAR, reducing_gap=2.0)
        return np.asarray(img, dtype=np.uint8)

    def normalised(self, arrays: list[np.ndarray]) -> np.ndarray:
        """uint8 HWC arrays -> normalised float32 NCHW array (numpy only); a photo's
        several inputs (``inputs``) are consecutive rows."""
        x = np.stack(arrays).reshape(-1, self.size, self.size, 3)
        x = x.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255.0)
        mean = np.float32(self.mean).reshape(1, 3, 1, 1)
        std = np.float32(self.std).reshape(1, 3, 1, 1)
        return np.ascontiguousarray((x - mean) / std)

    def batch(self, arrays: list[np.ndarray]):
        """uint8 HWC arrays -> normalised float NCHW torch tensor (channels_last)."""
        import torch

        return torch.from_numpy(self.normalised(arrays)).contiguous(
            memory_format=torch.channels_last)

    def __call__(self, img: Image.Image):
        return self.batch([self.to_array(img)])[0]
