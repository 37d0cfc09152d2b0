"""Data for `duplicalt bench`, all from a fixed seed.

* camera_folder: phone-camera-sized JPEGs (default 4032x3024, 2-4 MB) made by
  upscaling the shared originals and adding sensor-like noise; every third
  photo is a second shot of an earlier one (new noise, slight exposure change
  and a small crop), so the scan has near-duplicate groups to find.
* small_folder: many small distinct JPEGs, for the warm re-scan of 10,000 files.
* planted_vectors: N random unit vectors (float16) with planted near-duplicates.
No torch here.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

CAMERA_VERSION = 1


def _sources(originals: Path) -> list[Path]:
    found = sorted(p for p in Path(originals).iterdir()
                   if p.suffix.lower() in (".jpg", ".jpeg", ".png") and not p.name.startswith("."))
    if not found:
        raise ValueError(f"no source photos in {originals}")
    return found


def _reuse(folder: Path, spec: dict) -> bool:
    manifest = folder / ".bench.json"
    return manifest.exists() and json.loads(manifest.read_text()) == spec


def _camera_photo(src: Path, size: tuple[int, int], rng: np.random.Generator,
                  second_shot: bool) -> Image.Image:
    img = Image.open(src).convert("RGB")
    if second_shot:  # a burst neighbour: 2-4 % crop, exposure +-6 %
        w, h = img.size
        dx, dy = int(w * rng.uniform(0.02, 0.04)), int(h * rng.uniform(0.02, 0.04))
        img = img.crop((dx, dy, w - dx, h - dy))
    if (img.width < img.height) != (size[0] < size[1]):
        size = size[::-1]
    arr = np.asarray(img.resize(size, Image.BICUBIC), np.float32)
    if second_shot:
        arr *= rng.uniform(0.94, 1.06)
    sigma = rng.uniform(2.5, 4.0)  # photon + read noise, some of it per channel
    luma = rng.standard_normal(arr.shape[:2], dtype=np.float32)[..., None]
    chroma = rng.standard_normal(arr.shape, dtype=np.float32)
    arr += sigma * (0.7 * luma + 0.5 * chroma)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def camera_folder(originals: Path, folder: Path, n: int, seed: int = 0,
                  size: tuple[int, int] = (4032, 3024), quality: int = 92) -> list[Path]:
    """``n`` camera-sized JPEGs in ``folder`` (reused when already made with this spec)."""
    sources = _sources(originals)
    spec = {"version": CAMERA_VERSION, "n": n, "seed": seed, "size": list(size),
            "quality": quality, "sources": [p.name for p in sources]}
    folder = Path(folder)
    names = [folder / f"IMG_{k:05d}.jpg" for k in range(n)]
    if _reuse(folder, spec) and all(p.exists() for p in names):
        return names
    folder.mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(seed).permutation(len(sources))

    def make(k: int) -> None:
        second = k % 3 == 2
        src = sources[order[(k - 1 if second else k) % len(sources)]]
        img = _camera_photo(src, size, np.random.default_rng([seed, k]), second)
        img.save(names[k], "JPEG", quality=quality)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(make, range(n)))
    (folder / ".bench.json").write_text(json.dumps(spec))
    return names


def small_folder(originals: Path, folder: Path, n: int, seed: int = 0,
                 side: int = 160) -> list[Path]:
    """``n`` distinct small JPEGs (a source photo, a random crop, a random tint)."""
    sources = _sources(originals)
    spec = {"kind": "small", "n": n, "seed": seed, "side": side}
    folder = Path(folder)
    names = [folder / f"{k // 1000:02d}" / f"s{k:05d}.jpg" for k in range(n)]
    if _reuse(folder, spec) and all(p.exists() for p in names):
        return names
    thumbs = [Image.open(p).convert("RGB").resize((side * 2, side * 2)) for p in sources]
    for k, path in enumerate(names):
        rng = np.random.default_rng([seed, k])
        src = thumbs[k % len(thumbs)]
        x, y = (int(v) for v in rng.integers(0, side, 2))
        arr = np.asarray(src.crop((x, y, x + side, y + side)), np.float32)
        arr = arr * rng.uniform(0.7, 1.3, 3) + rng.normal(0, 3, arr.shape)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=85)
    (folder / ".bench.json").write_text(json.dumps(spec))
    return names


def planted_vectors(n: int, d: int = 512, fraction: float = 0.01, lo: float = 0.9,
                    hi: float = 0.99, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """float16 unit vectors; ``fraction * n`` rows replaced by near-copies of other
    rows at cosine U[lo, hi]. Returns (vectors, planted pairs (i < j))."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), np.float16)
    for s in range(0, n, 65536):
        block = rng.standard_normal((min(65536, n - s), d), dtype=np.float32)
        out[s:s + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    m = int(n * fraction)
    perm = rng.permutation(n)
    src, dst = perm[:m], perm[m:2 * m]
    base = out[src].astype(np.float32)
    noise = rng.standard_normal((m, d), dtype=np.float32)
    noise -= (noise * base).sum(1, keepdims=True) * base
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    c = rng.uniform(lo, hi, (m, 1)).astype(np.float32)
    out[dst] = c * base + np.sqrt(1 - c * c) * noise
    return out, {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}
