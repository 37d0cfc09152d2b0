"""Grouping a million vectors of the shipped model's kind, in bounded memory.

    python -m duplicalt.evaluation.scale.million VECTORS.npy N THRESHOLD

VECTORS.npy holds real embeddings (float16) of the scale library (training
photos and planted edited copies), written by `duplicalt scale`. They are
replicated to N rows, each replica turned by its own random rotation: within
a replica every similarity is the real one (the same crowds of look-alikes,
the same copies), across replicas photos are unrelated. Then the scan's own
steps without photos: k-NN pairs at the threshold, the density-aware
candidates, centre groups. Prints one JSON line (time per step, peak RSS).
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from duplicalt.evaluation.speed.child import peak_rss_mb


def replicate(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` float16 rows: ``base`` under independent random rotations."""
    rng = np.random.default_rng(seed)
    d = base.shape[1]
    out = np.empty((n, d), np.float16)
    src = base.astype(np.float32)
    for start in range(0, n, len(base)):
        rows = min(len(base), n - start)
        q = np.eye(d, dtype=np.float32) if start == 0 else \
            np.linalg.qr(rng.standard_normal((d, d)))[0].astype(np.float32)
        out[start:start + rows] = (src[:rows] @ q).astype(np.float16)
    return out


def run(path: str, n: int, threshold: float) -> dict:
    from duplicalt.pairing.grouping import centre_groups, neighbour_pairs
    from duplicalt.pairing.verification import nearest

    base = np.load(path)
    t0 = time.perf_counter()
    vectors = replicate(base, n)
    del base
    t1 = time.perf_counter()
    pairs = neighbour_pairs(vectors, threshold)
    t2 = time.perf_counter()
    chosen = nearest(pairs)
    t3 = time.perf_counter()
    groups = centre_groups(chosen)
    t4 = time.perf_counter()
    return {"n": n, "threshold": threshold, "replicate_s": round(t1 - t0, 1),
            "pairs_s": round(t2 - t1, 1), "select_s": round(t3 - t2, 1),
            "group_s": round(t4 - t3, 1), "seconds": round(t4 - t1, 1),
            "pairs": len(pairs.i), "candidates": len(chosen.i), "groups": len(groups),
            "peak_rss_mb": round(peak_rss_mb())}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
