"""Training photos -> a uint8 array cache (N, 3, C, C), whole image squeezed.

Photos come from USTAR tar shards (one image per member) and/or folders; anything
that does not decode is skipped; labels are never read. Decoding is the expensive
part on a small CPU, so it happens once and the result is saved as ``.npy``
(memory-mapped afterwards); augmentation then runs on tensors.
"""
from __future__ import annotations

import glob
import hashlib
import io
import json
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image

from duplicalt.ml.training.holdout import exclusion_digest, excluded_keys
from duplicalt.ml.training.shared_data import data_root
from duplicalt.photos.decode import exif_orientation, upright

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
DEFAULT_DATA = str(data_root() / "train" / "*.tar")


def expand_sources(specs: list[str]) -> list[Path]:
    """Glob patterns, tar files and folders -> a sorted, de-duplicated list of paths."""
    out: list[Path] = []
    for spec in specs:
        matches = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") else [spec]
        out.extend(Path(m) for m in matches)
    seen, unique = set(), []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    if not unique:
        raise FileNotFoundError(f"no training data found in {specs}: pass --data (tar shards, "
                                "folders or globs), or set DUPLICALT_DATA to the folder that "
                                "holds train/")
    return unique


def iter_blobs(sources: list[Path], exclude: frozenset[str] | None = None
               ) -> Iterator[tuple[str, bytes]]:
    """(name, encoded bytes) for every regular member/file, in a stable order.
    Tar members named in ``exclude`` (default: holdout.excluded_keys(), the
    evaluation's distractors and the copies of benchmark photos) are skipped."""
    exclude = excluded_keys() if exclude is None else exclude
    for src in sources:
        if src.is_dir():
            for f in sorted(src.rglob("*")):
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                    yield str(f), f.read_bytes()
        elif src.is_file() and tarfile.is_tarfile(src):
            with tarfile.open(src, "r:") as tar:
                for member in tar:
                    if member.isfile() and f"{src.name}:{member.name}" not in exclude:
                        fh = tar.extractfile(member)
                        if fh is not None:
                            yield f"{src.name}:{member.name}", fh.read()
        elif not src.exists():
            raise FileNotFoundError(f"training data {src} does not exist")


def decode_square(blob: bytes, size: int) -> np.ndarray | None:
    """Decode, EXIF-orient, squeeze the whole image to size x size; CHW uint8 or None."""
    try:
        img = Image.open(io.BytesIO(blob))
        orientation = exif_orientation(img)
        img.draft("RGB", (size, size))
        img = upright(img.convert("RGB"), orientation)
        img = img.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
        return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy()
    except Exception:  # corrupt or not an image: skipped
        return None


def build_array(sources: list[Path], size: int, max_images: int | None = None,
                threads: int = 2) -> np.ndarray:
    """Decode everything (in threads; Pillow releases the GIL) into (N, 3, size, size)."""
    arrays: list[np.ndarray] = []

    def blobs():
        for i, (_, blob) in enumerate(iter_blobs(sources)):
            if max_images is not None and i >= max_images * 1.05 + 16:
                return  # leave slack for undecodable members
            yield blob

    with ThreadPoolExecutor(max(1, threads)) as pool:
        for arr in pool.map(lambda b: decode_square(b, size), blobs()):
            if arr is not None:
                arrays.append(arr)
            if max_images is not None and len(arrays) >= max_images:
                break
    if not arrays:
        raise ValueError(f"none of the files in {[str(s) for s in sources]} decoded as a photo")
    return np.stack(arrays)


def cache_key(sources: list[Path], size: int, max_images: int | None) -> str:
    parts = [f"{p.resolve()}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in sources]
    text = json.dumps([parts, size, max_images, exclusion_digest(excluded_keys())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_images(specs: list[str], size: int, cache_dir: Path | None = None,
                max_images: int | None = None, threads: int = 2,
                log=print) -> torch.Tensor:
    """The photos as a uint8 tensor (N, 3, size, size), from the cache when present."""
    sources = expand_sources(specs)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"images-{size}-{cache_key(sources, size, max_images)}.npy"
        if path.is_file():
            log(f"loading image cache {path}")
            return torch.from_numpy(np.load(path, mmap_mode="r")[:].copy())
    log(f"decoding photos from {len(sources)} sources at {size}px (once)")
    arr = build_array(sources, size, max_images, threads)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, arr)
        tmp.replace(path)
        log(f"saved image cache {path} ({arr.shape[0]} photos)")
    return torch.from_numpy(arr)


def split_holdout(n: int, n_val: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fixed (train indices, held-out indices) from a seeded permutation."""
    g = torch.Generator().manual_seed(seed + 7919)
    perm = torch.randperm(n, generator=g)
    n_val = min(n_val, max(0, n // 5))
    return perm[n_val:].sort().values, perm[:n_val].sort().values
