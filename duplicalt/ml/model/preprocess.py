"""Inference preprocessing: a decoded RGB photo -> normalised float tensor.

Optionally (``trim_borders``) uniform borders and letterbox bars are cut off
before the photo is squeezed, so a framed copy is embedded like the original.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import torch
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


def border_box(img: Image.Image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside uniform borders/bars."""
    a = np.asarray(img.convert("RGB"))
    h, w = a.shape[:2]
    cut_h, cut_w = int(h * (1 - MIN_KEPT)), int(w * (1 - MIN_KEPT))
    top = _border_lines(a, cut_h)
    bottom = _border_lines(a[::-1], cut_h - top)
    left = _border_lines(a.transpose(1, 0, 2), cut_w)
    right = _border_lines(a.transpose(1, 0, 2)[::-1], cut_w - left)
    return left, top, w - right, h - bottom


def trim_borders(img: Image.Image) -> Image.Image:
    box = border_box(img)
    return img if box == (0, 0, img.width, img.height) else img.crop(box)


@dataclass(frozen=True)
class Preprocess:
    size: int = 112
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    grayscale: bool = False  # embed luminance only: colour edits cannot move a vector
    trim_borders: bool = False  # cut uniform borders / letterbox bars first

    @classmethod
    def from_meta(cls, meta: Mapping) -> "Preprocess":
        return cls(size=int(meta["input_size"]), mean=tuple(meta["mean"]), std=tuple(meta["std"]),
                   grayscale=bool(meta.get("grayscale", False)),
                   trim_borders=bool(meta.get("trim_borders", False)))

    @property
    def key(self) -> str:
        """Everything here that changes a vector (part of the embedder's model_id)."""
        return f"{self.size}:{self.mean}:{self.std}" + (":gray" if self.grayscale else "") + \
            (":trim1" if self.trim_borders else "")

    def to_array(self, img: Image.Image) -> np.ndarray:
        """Whole image (borders trimmed if asked) squeezed to size x size, uint8 HWC."""
        if self.trim_borders:
            img = trim_borders(img)
        if self.grayscale:
            img = img.convert("L")
        if img.mode != "RGB":
            img = img.convert("RGB")
        if img.size != (self.size, self.size):
            img = img.resize((self.size, self.size), Image.BILINEAR, reducing_gap=2.0)
        return np.asarray(img, dtype=np.uint8)

    def batch(self, arrays: list[np.ndarray]) -> torch.Tensor:
        """uint8 HWC arrays -> normalised float NCHW tensor (channels_last)."""
        x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous(memory_format=torch.channels_last)

    def __call__(self, img: Image.Image) -> torch.Tensor:
        return self.batch([self.to_array(img)])[0]
