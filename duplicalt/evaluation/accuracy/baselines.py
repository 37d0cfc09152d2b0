"""Peers on the same benchmark folders, each at its own published default:

* imagehash pHash, pairs within 10 of 64 bits;
* PDQ (``pdqhash``, Meta's ThreatExchange hash) with its 8 dihedral variants: a
  pair when any rotation/flip of one is within 31 of 256 bits of the other;
* perception's SIFT deduplicator (``perception.local_descriptor_deduplication``)
  with its default settings.

They are the optional ``bench`` extra (``pip install -e .[bench]``); a missing
one is reported and skipped. Results are kept in the benchmark folder, keyed by
the file list, so a re-run only scores.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from duplicalt.photos.decode import load_photo

PHASH_MAX, PDQ_MAX = 10, 31


def _cached(work: Path, kind: str, names: list[str], compute: Callable[[], list[list[str]]]):
    key = hashlib.sha256(("\n".join(names)).encode()).hexdigest()[:16]
    path = Path(work) / f"baseline-{kind}-{key}.json"
    if path.is_file():
        return {frozenset(p) for p in json.loads(path.read_text())}
    pairs = compute()
    path.write_text(json.dumps(sorted(sorted(p) for p in pairs)))
    return {frozenset(p) for p in pairs}


def _within(bits: np.ndarray, queries: np.ndarray, names: list[str], limit: int) -> list[list[str]]:
    """Pairs (i < j) where some query row of i is within ``limit`` bits of row j.
    ``bits`` (N, W) packed uint64; ``queries`` (N, V, W)."""
    out = []
    for i in range(len(names) - 1):
        rest = bits[i + 1:]
        dist = np.bitwise_count(queries[i][:, None, :] ^ rest[None]).sum(axis=2).min(axis=0)
        out += [[names[i], names[i + 1 + j]] for j in np.nonzero(dist <= limit)[0]]
    return out


def _pack(bitrows: np.ndarray) -> np.ndarray:
    packed = np.packbits(bitrows.astype(np.uint8), axis=-1)
    pad = (-packed.shape[-1]) % 8
    packed = np.pad(packed, [(0, 0)] * (packed.ndim - 1) + [(0, pad)])
    return packed.view(np.uint64)


def _decoded(photos: Path, names: list[str]):
    for name in names:
        try:
            img, _ = load_photo(photos / name)
        except Exception:
            continue
        yield name, img


def phash_pairs(photos: Path, names: list[str], work: Path):
    import imagehash

    def compute():
        kept, rows = [], []
        for name, img in _decoded(photos, names):
            kept.append(name)
            rows.append(imagehash.phash(img).hash.ravel())
        packed = _pack(np.array(rows))
        return _within(packed, packed[:, None, :], kept, PHASH_MAX)
    return _cached(work, "phash", names, compute)


def pdq_pairs(photos: Path, names: list[str], work: Path):
    import pdqhash

    def compute():
        kept, variants = [], []
        for name, img in _decoded(photos, names):
            hashes, _ = pdqhash.compute_dihedral(np.ascontiguousarray(np.asarray(img.convert("RGB"))))
            kept.append(name)
            variants.append(np.array(hashes))
        queries = _pack(np.stack(variants))  # (N, 8, 4)
        return _within(queries[:, 0, :], queries, kept, PDQ_MAX)
    return _cached(work, "pdq8", names, compute)


def perception_pairs(photos: Path, names: list[str], work: Path):
    from perception import local_descriptor_deduplication as ldd

    def compute():
        found = ldd.deduplicate([str(photos / n) for n in names])
        return [[Path(a).name, Path(b).name] for a, b, *_ in found]
    return _cached(work, "perception-sift", names, compute)


PEERS = {"pHash<=10": phash_pairs, "PDQ8<=31": pdq_pairs, "perception-SIFT": perception_pairs}


def peer_pairs(photos: Path, names: list[str], work: Path, skip: set[str] = frozenset(),
               log=print) -> dict[str, set[frozenset[str]]]:
    """{peer name: predicted pairs}; peers not installed are reported and left out."""
    out = {}
    for label, fn in PEERS.items():
        if label in skip:
            continue
        try:
            out[label] = fn(photos, names, work)
        except ImportError as exc:
            log(f"{label}: skipped, not installed ({exc}); pip install -e '.[bench]'")
    return out
