"""A photo's local features as the matcher keeps them, their bytes in the
cache, and the checks of an aligned pair: a plausible affine map, inliers
spread over the photo, and the colours (OpenCV/numpy only).

ORB works on grey pixels, so its geometry alone accepts two different objects
with one outline and another colour (a red and a blue motorbike of one model
shot side-on, a steel and a gold watch): their corners and wheels line up
under one affine map. Warped by that map, a copy keeps the hue of every
clearly coloured pixel through crops, resizes, recompression, brightness,
contrast and saturation edits (a grey copy has no coloured pixels to judge);
the other object does not.
"""
from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

import cv2
import numpy as np

THUMB = 64  # side of the colour thumbnail kept for the colour check
HUE_STEP = 20  # hue difference (OpenCV units, 0..180) that counts as another colour
COLOURED = 60  # saturation and value (0..255) a pixel needs to have a hue worth judging
MISMATCH_STEP = 30  # colour error (0..255, any channel) beyond which a pixel is unexplained
_HEAD = struct.Struct("<4sHHHHI")  # magic, width, height, thumb w, thumb h, points
_MAGIC = b"LF2\x00"  # points as float32 (LF1: float16, read still)
_OLD_MAGIC = b"LF1\x00"  # float16 points moved RANSAC's inliers: 7 of 14,167 decisions


@dataclass(frozen=True)
class Features:
    points: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray | None  # (n, 32) uint8
    shape: tuple[int, int] = (1, 1)  # (width, height) the points refer to
    thumb: np.ndarray | None = None  # RGB uint8 (h, w, 3), the same picture at most THUMB px


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = min(1.0, THUMB / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def mirrored_thumb(f: Features) -> np.ndarray | None:
    return None if f.thumb is None else cv2.flip(f.thumb, 1)


def _one(f: Features) -> bytes:
    n = len(f.points)
    des = f.descriptors if f.descriptors is not None else np.zeros((0, 32), np.uint8)
    th = f.thumb if f.thumb is not None else np.zeros((0, 0, 3), np.uint8)
    head = _HEAD.pack(_MAGIC, f.shape[0], f.shape[1], th.shape[1], th.shape[0], n)
    return b"".join((head, np.asarray(f.points, np.float32).tobytes(),
                     np.ascontiguousarray(des[:n], np.uint8).tobytes(), th.tobytes()))


def _parse(data: bytes, at: int) -> tuple[Features, int]:
    magic, w, h, tw, th, n = _HEAD.unpack_from(data, at)
    if magic not in (_MAGIC, _OLD_MAGIC):
        raise ValueError("not a features record")
    at += _HEAD.size
    dtype = np.float32 if magic == _MAGIC else np.float16
    points = np.frombuffer(data, dtype, 2 * n, at).reshape(n, 2).astype(np.float32)
    at += 2 * n * dtype().itemsize
    des = np.frombuffer(data, np.uint8, 32 * n, at).reshape(n, 32).copy() if n else None
    at += 32 * n
    thumb = np.frombuffer(data, np.uint8, 3 * tw * th, at).reshape(th, tw, 3).copy() \
        if tw else None
    return Features(points, des, (w, h), thumb), at + 3 * tw * th


def dumps(straight: Features, mirrored: Features | None = None) -> bytes:
    """A photo's feature sets as bytes (~18 KB each for 500 points); the mirror
    image's only once a pair needed them (feature_store)."""
    return _one(straight) + (b"" if mirrored is None else _one(mirrored))


def loads(data: bytes) -> tuple[Features, Features | None]:
    a, at = _parse(data, 0)
    return a, (_parse(data, at)[0] if at < len(data) else None)


def plausible(affine: np.ndarray | None) -> bool:
    """An edit a person makes: no mirror (that is checked separately), no
    collapse, scale within 1/8..8 and aspect change within 2x."""
    if affine is None or not np.isfinite(affine).all():
        return False
    linear = affine[:, :2]
    if np.linalg.det(linear) <= 0:
        return False
    s = np.linalg.svd(linear, compute_uv=False)
    return 0.125 <= s[1] and s[0] <= 8.0 and s[0] / s[1] <= 2.0


def spread(points: np.ndarray, shape: tuple[int, int]) -> float:
    """How far the points extend, as the larger of their width/height fractions."""
    if len(points) == 0:
        return 0.0
    extent = points.max(axis=0) - points.min(axis=0)
    return float(max(extent[0] / shape[0], extent[1] / shape[1]))


def aligned_thumbs(a: Features, b: Features, affine: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(a's thumbnail warped onto b's by ``affine`` (a's points to b's), b's
    thumbnail, mask of b's pixels that a covers), or None without thumbnails."""
    if a.thumb is None or b.thumb is None:
        return None
    sa = a.thumb.shape[1] / a.shape[0]
    sb = b.thumb.shape[1] / b.shape[0]
    m = np.vstack([affine, [0.0, 0.0, 1.0]])
    m = np.diag([sb, sb, 1.0]) @ m @ np.diag([1 / sa, 1 / sa, 1.0])
    size = (b.thumb.shape[1], b.thumb.shape[0])
    warped = cv2.warpAffine(a.thumb, m[:2], size, flags=cv2.INTER_LINEAR)
    inside = cv2.warpAffine(np.ones(a.thumb.shape[:2], np.uint8), m[:2], size,
                            flags=cv2.INTER_NEAREST) > 0
    return warped, b.thumb, inside


@functools.lru_cache(maxsize=64)
def _radius2(shape: tuple[int, int]) -> np.ndarray:
    """Squared distance of each pixel of an (h, w) picture from its centre, in
    half-diagonals (0 at the centre, 1 in the corners)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    half2 = (w * w + h * h) / 4
    return ((xs - (w - 1) / 2) ** 2 + (ys - (h - 1) / 2) ** 2) / half2


def _colour_terms(rgb: np.ndarray, radial: np.ndarray) -> np.ndarray:
    """Quadratic terms of RGB in 0..1, and its linear terms times the squared
    distance from the centre: a global tone curve, colour balance, saturation or
    grey conversion is (close to) linear in them, and so is a vignette."""
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    one = np.ones_like(r)
    lin = np.concatenate([one, rgb], 1)
    return np.concatenate([lin, rgb * rgb, r * g, g * b, r * b, lin * radial[:, None]], 1)


def colour_mismatch(a: Features, b: Features, affine: np.ndarray, step: float = MISMATCH_STEP,
                    min_pixels: int = 50, aligned: tuple | None = None) -> float | None:
    """The fraction of the aligned overlap whose colour no single global colour
    map explains: a copy's colour edit (brightness, contrast, gamma, saturation,
    grey, filter) maps every colour of the original the same way everywhere,
    so one quadratic map from a's colours to b's fits nearly all pixels; a
    repainted object (a black and a red motorbike of one model, the tyres
    black in both) needs two maps. Fitted twice, the second time without the
    worst 20 % (captions, stickers); None when the overlap is too small."""
    aligned = aligned if aligned is not None else aligned_thumbs(a, b, affine)
    if aligned is None:
        return None
    warped, target, inside = aligned
    inside = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inside.sum() < min_pixels:
        return None
    x = cv2.GaussianBlur(warped, (0, 0), 1.0)[inside].astype(np.float32) / 255
    y = cv2.GaussianBlur(target, (0, 0), 1.0)[inside].astype(np.float32) / 255
    terms, fit = _colour_terms(x, _radius2(inside.shape)[inside]), np.ones(len(x), bool)
    for _ in range(2):
        error = np.abs(terms @ _least_squares(terms[fit], y[fit]) - y)
        residual = np.maximum(np.maximum(error[:, 0], error[:, 1]), error[:, 2])  # .max(1)
        # over 3 columns took 0.26 ms a call, 10 % of the verification
        fit = residual <= _quantile(residual, 0.8)
    return float((residual > step / 255).mean())


def _least_squares(terms: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares map from ``terms`` to ``y`` through the 14 x 14 normal
    equations in float64 (numpy's lstsq on the whole overlap took ~2 ms a call,
    half of a pair's verification); minimum-norm where the terms are (nearly)
    dependent, a grey photo's r = g = b, with the cut-off lstsq used on the
    float32 terms (squared: the normal equations square the singular values)."""
    t = terms.astype(np.float64)
    cut = (np.finfo(np.float32).eps * len(t)) ** 2
    coef, *_ = np.linalg.lstsq(t.T @ t, t.T @ y.astype(np.float64), rcond=cut)
    return coef.astype(np.float32)


def _quantile(values: np.ndarray, q: float) -> float:
    """np.quantile's default (linear) estimate by partial sorting."""
    at = q * (len(values) - 1)
    lo = int(at)
    hi = min(lo + 1, len(values) - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (at - lo) * (part[hi] - part[lo]))


def hue_clash(a: Features, b: Features, affine: np.ndarray, min_pixels: int = 30,
              aligned: tuple | None = None) -> float | None:
    """Of the pixels coloured in both ``a`` warped by ``affine`` (a's points to
    b's) and ``b``, the fraction whose hues differ by more than HUE_STEP; None
    when too few pixels are coloured in both (grey photos, grey copies)."""
    aligned = aligned if aligned is not None else aligned_thumbs(a, b, affine)
    if aligned is None:
        return None
    warped, target, inside = aligned
    ha = cv2.cvtColor(warped, cv2.COLOR_RGB2HSV).astype(np.int16)
    hb = cv2.cvtColor(target, cv2.COLOR_RGB2HSV).astype(np.int16)
    both = inside & (ha[..., 1] > COLOURED) & (ha[..., 2] > COLOURED) & \
        (hb[..., 1] > COLOURED) & (hb[..., 2] > COLOURED)
    if both.sum() < min_pixels:
        return None
    dh = np.abs(ha[..., 0] - hb[..., 0])[both]
    return float((np.minimum(dh, 180 - dh) > HUE_STEP).mean())
