"""What a photo file itself says about being an original or an edited copy
(PIL and numpy only, no model): grayscale, an added frame, camera EXIF, the
capture date, JPEG quality, sharpness, and the 8x8 block grid a lossless file
keeps when it was re-encoded from a JPEG.

Read once per file (remembered by path, size and mtime); the keeper compares
two photos' evidence rule by rule (keeper.py). The thresholds were chosen on
the calibration split of the bench originals only (evaluation/keeper.py).
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image

from duplicalt.photos.decode import UnreadableImage, load_photo

SIDE = 384  # long side the pixels are judged at
THUMB = 96  # side of the square grey thumbnail compared between two photos
LOSSLESS = frozenset({"PNG", "TIFF", "BMP", "PPM"})
GREY_SPREAD = 3.0  # mean channel spread (0-255) below which a photo is grayscale
FLAT_TOL = 10.0  # a pixel this close to its edge line's median colour is part of a bar
FLAT_SHARE = 0.8  # ... and this share of the line must be
FRAME_DEPTH = 0.02  # share of the side a frame must cover
GRID_RATIO = 1.25  # step at 8-pixel block edges vs elsewhere: decoded from a JPEG
_REMEMBERED = 4096

# IJG base luminance table (the JPEG standard's Annex K), for estimating quality
_LUMA = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
                  14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
                  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
                 np.float64)


@dataclass(frozen=True)
class Evidence:
    format: str = ""
    pixels: int = 0
    grey: bool = False
    frame: str | None = None  # "border", "letterbox", "filled corners"
    camera: str | None = None  # EXIF Make/Model
    taken: str | None = None
    quality: int | None = None  # estimated JPEG quality
    sharpness: float = 0.0  # Laplacian energy relative to the photo's contrast
    jpeg_grid: bool = False  # a lossless file showing JPEG's 8x8 blocks
    grey_thumb: np.ndarray | None = None  # THUMB x THUMB grey, uint8
    aspect: float = 0.0
    margin: float = 0.0  # share of the picture taken by even bars at its edges

    @property
    def thumb(self) -> np.ndarray | None:
        """The grey thumbnail as float32 with zero mean and unit spread (computed
        when asked: a remembered photo keeps 9 KB of uint8, not 36 KB of float)."""
        if self.grey_thumb is None:
            return None
        t = self.grey_thumb.astype(np.float32)
        return (t - t.mean()) / max(float(t.std()), 1e-3)


def _scaled_tables() -> np.ndarray:
    """The IJG luminance table scaled for each quality 1..100, sorted: (100, 64)."""
    q = np.arange(1, 101, dtype=np.float64)
    scale = np.where(q < 50, 5000 / q, 200 - 2 * q)
    return np.clip(np.floor((np.sort(_LUMA)[None, :] * scale[:, None] + 50) / 100), 1, 255)


_SCALED = _scaled_tables()


def jpeg_quality(img: Image.Image) -> int | None:
    """The IJG quality whose scaled luminance table is closest to the file's."""
    tables = getattr(img, "quantization", None)
    if not tables or 0 not in tables or len(tables[0]) != 64:
        return None
    table = np.sort(np.asarray(tables[0], np.float64))
    return int(np.argmin(np.abs(_SCALED - table).sum(axis=1))) + 1  # the first best


def _exif(img: Image.Image) -> tuple[str | None, str | None]:
    try:
        exif = img.getexif()
    except Exception:  # a broken EXIF block is no evidence either way
        return None, None
    camera = " ".join(str(exif.get(t, "")).strip("\x00 ") for t in (0x010F, 0x0110)).strip()
    taken = None
    try:
        taken = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    except Exception:
        taken = exif.get(0x0132)
    return camera or None, (str(taken).strip("\x00 ") or None) if taken else None


def _flat_lines(lines: np.ndarray) -> np.ndarray:
    """Of each edge line (k, length, 3): is nearly all of it one even colour (a
    bar's text may cross it)?"""
    median = np.median(lines, axis=1, keepdims=True)
    even = np.abs(lines - median).max(axis=2) <= FLAT_TOL
    return even.mean(axis=1) >= FLAT_SHARE


def _flat_depth(lines: np.ndarray) -> int:
    """How many lines from the edge in are flat, judged in chunks of 1, 2, 4, ...
    lines (most photos stop at the first; a white backdrop runs deep)."""
    depth, chunk = 0, 1
    while depth < len(lines):
        flat = _flat_lines(lines[depth:depth + chunk])
        if not flat.all():
            return depth + int(np.argmin(flat))
        depth += len(flat)
        chunk *= 2
    return depth


def frame_of(rgb: np.ndarray) -> tuple[str | None, tuple[float, float, float, float]]:
    """(kind, depths): an added border or screen frame (even bars on all sides), a
    letterbox (two opposite bars of one colour) or the filled corners a rotated
    copy gets; the even bars' depths (top, bottom, left, right) as shares."""
    h, w = rgb.shape[:2]
    if h < 16 or w < 16:
        return None, (0.0, 0.0, 0.0, 0.0)
    sides = {"top": rgb, "bottom": rgb[::-1], "left": rgb.transpose(1, 0, 2),
             "right": rgb.transpose(1, 0, 2)[::-1]}
    depth = {name: _flat_depth(lines[: len(lines) // 3]) / len(lines)
             for name, lines in sides.items()}
    depths = (depth["top"], depth["bottom"], depth["left"], depth["right"])
    colour = {name: np.median(lines[0], axis=0) for name, lines in sides.items()}
    if all(d >= FRAME_DEPTH for d in depth.values()):
        return "border", depths
    for a, b in (("top", "bottom"), ("left", "right")):
        if depth[a] >= 2 * FRAME_DEPTH and depth[b] >= 2 * FRAME_DEPTH and \
                np.abs(colour[a] - colour[b]).max() <= 10:
            return "letterbox", depths
    k = max(2, min(h, w) // 64)
    corners = [rgb[:k, :k], rgb[:k, -k:], rgb[-k:, :k], rgb[-k:, -k:]]
    if all(c.max() <= 16 for c in corners) and rgb[h // 4: -h // 4, w // 4: -w // 4].mean() > 24:
        return "filled corners", (0.0, 0.0, 0.0, 0.0)
    return None, depths


def sharpness(grey: np.ndarray) -> float:
    lap = (4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1]
           - grey[1:-1, :-2] - grey[1:-1, 2:])
    return float(lap.var() / max(grey.var(), 1e-6))


def jpeg_grid(grey: np.ndarray) -> bool:
    """Steps between columns/rows 8k-1 and 8k stronger than elsewhere."""
    if min(grey.shape) < 64:
        return False
    ratios = []
    for axis in (0, 1):
        step = np.abs(np.diff(grey, axis=axis)).mean(axis=1 - axis)
        phase = [step[p::8].mean() for p in range(8)]
        others = np.median(phase)
        ratios.append(max(phase) / max(others, 1e-6))
    return min(ratios) >= GRID_RATIO


def _thumb(grey: np.ndarray) -> np.ndarray:
    img = Image.fromarray(grey.astype(np.uint8)).resize((THUMB, THUMB), Image.BILINEAR)
    return np.asarray(img, np.uint8).copy()


def read_evidence(path: Path) -> Evidence:
    """The evidence of one file; an unreadable file gives empty evidence."""
    try:
        with Image.open(path) as raw:
            fmt = raw.format or ""
            quality = jpeg_quality(raw) if fmt in ("JPEG", "MPO") else None
            camera, taken = _exif(raw)
            grid = False
            if fmt in LOSSLESS:
                grid = jpeg_grid(np.asarray(raw.convert("L"), np.float32)[:1024, :1024])
        img, info = load_photo(path, SIDE)
    except (OSError, UnreadableImage, ValueError, SyntaxError):
        return Evidence()
    img.thumbnail((SIDE, SIDE))
    rgb = np.asarray(img, np.float32)
    grey = rgb.mean(axis=2)
    spread = float(np.abs(rgb - grey[..., None]).mean())
    frame, depths = frame_of(rgb)
    top, bottom, left, right = depths
    margin = 1.0 - (1.0 - top - bottom) * (1.0 - left - right)
    return Evidence(fmt, info.width * info.height, spread < GREY_SPREAD, frame, camera,
                    info.taken or taken, quality, sharpness(grey), grid, _thumb(grey),
                    info.width / max(info.height, 1), margin)


def _centre(path: Path, box: int = 512) -> np.ndarray:
    with Image.open(path) as img:
        w, h = img.size
        left, top = max(0, (w - box) // 2), max(0, (h - box) // 2)
        return np.asarray(img.convert("RGB").crop((left, top, min(w, left + box),
                                                    min(h, top + box))), np.int16)


def decoded_from(jpeg: Path, lossless: Path) -> bool:
    """True if the lossless file holds exactly the JPEG's decoded pixels (it was
    saved from the JPEG); a JPEG made from a lossless original differs from it."""
    key = ("decoded", str(jpeg), str(lossless))
    with _lock:
        if key in _memo:
            return bool(_memo[key])
    try:
        a, b = _centre(jpeg), _centre(lossless)
        same = a.shape == b.shape and float(np.abs(a - b).mean()) < 0.75
    except (OSError, ValueError, SyntaxError):
        same = False
    with _lock:
        _memo[key] = same
    return same


_lock = threading.Lock()
_memo: OrderedDict[tuple, Evidence] = OrderedDict()


def remembered(path: Path, size: int = 0, mtime_ns: int = 0) -> Evidence | None:
    """The evidence remembered for this path, size and mtime, or None."""
    key = (str(path), int(size), int(mtime_ns))
    with _lock:
        hit = _memo.get(key)
        if hit is not None:
            _memo.move_to_end(key)
        return hit


def remember(path: Path, size: int, mtime_ns: int, found: Evidence) -> None:
    """Remember a file's evidence (read now, or kept in the cache: evidence_store)."""
    with _lock:
        _memo[(str(path), int(size), int(mtime_ns))] = found
        while len(_memo) > _REMEMBERED:
            _memo.popitem(last=False)


def evidence(path: Path, size: int = 0, mtime_ns: int = 0) -> Evidence:
    """read_evidence, remembered for the same path, size and mtime."""
    hit = remembered(path, size, mtime_ns)
    if hit is not None:
        return hit
    found = read_evidence(Path(path))
    remember(path, size, mtime_ns, found)
    return found


def read_ahead(files: Iterable[tuple[Path, int, int]], workers: int = 0) -> None:
    """``evidence`` of many (path, size, mtime_ns) at once, in threads (decoding
    drops the GIL), so that keeper rules asking one file at a time find them
    remembered: a 150-photo report's 60 keepers took 2.5 s one by one. At most
    _REMEMBERED files (more would push the first ones out again)."""
    todo = list(dict.fromkeys((str(p), int(s), int(m)) for p, s, m in files))[:_REMEMBERED]
    with _lock:
        todo = [key for key in todo if key not in _memo]
    if len(todo) == 1:  # no pool for one file
        evidence(Path(todo[0][0]), todo[0][1], todo[0][2])
    if len(todo) < 2:
        return
    with ThreadPoolExecutor(workers or min(8, os.cpu_count() or 2)) as pool:
        list(pool.map(lambda key: evidence(Path(key[0]), key[1], key[2]), todo))

