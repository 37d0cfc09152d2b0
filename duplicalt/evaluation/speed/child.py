"""One `duplicalt bench` measurement in a fresh process: prints one JSON line.

    python -m duplicalt.evaluation.speed.child KIND SPEC_JSON   (KIND: info, scan, phash, group)
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np


def peak_rss_mb() -> float:
    """This process's peak RSS (Linux: VmHWM; ru_maxrss there keeps the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss / 1024


def _embedder(spec: dict):
    from duplicalt.ml.model.embed import load

    threads = spec.get("threads")
    if threads == 0:  # the settings before the speed work: torch's own thread count
        import torch

        threads = torch.get_num_threads()
    return load(spec.get("model"), spec.get("device", "auto"), 32, spec.get("workers"),
                threads, spec.get("precision", "fp32"), engine=spec.get("engine", "auto"))


def info(spec: dict) -> dict:
    emb = _embedder(spec)
    return {"cpus": os.cpu_count(), "device": emb.device.type, "engine": emb.engine, "workers": emb.workers,
            "threads": emb.threads, "input_size": emb.preprocess.size}


def signature(groups) -> str:
    rows = sorted((g.tier, tuple(sorted(m.entry.rel for m in g.members))) for g in groups)
    return hashlib.sha1(json.dumps(rows).encode()).hexdigest()[:16]


def _change(folder: Path, fraction: float, seed: int) -> list[tuple[Path, Path]]:
    """Re-save ``fraction`` of the JPEGs (an edit); returns (photo, backup) pairs."""
    from PIL import Image

    photos = sorted(folder.rglob("*.jpg"))
    count = max(1, round(fraction * len(photos)))
    picked = np.random.default_rng(seed).choice(len(photos), count, replace=False)
    saved = []
    for k in sorted(picked.tolist()):
        path = photos[k]
        backup = path.with_name(f".{path.name}.bak")
        shutil.copy2(path, backup)
        saved.append((path, backup))
        with Image.open(backup) as img:
            img.convert("RGB").save(path, "JPEG", quality=88)
    return saved


def report_seconds(result, cache) -> float:
    """What the CLI's JSON report adds after the scan: the suggested keeper of
    every group, from the evidence of each grouped photo (read from the files on
    a cold scan, and kept in ``cache`` for the next report)."""
    from duplicalt.review import report

    t0 = time.perf_counter()
    report.to_dict(result, cache)
    return time.perf_counter() - t0


def scan_child(spec: dict) -> dict:
    from duplicalt.photos.cache import Cache
    from duplicalt.ml.model.thresholds import calibrated_threshold
    from duplicalt.scan.pipeline import scan

    t0 = time.perf_counter()
    emb = _embedder(spec)
    verifier = None
    if spec.get("verify"):
        from duplicalt.ml.matcher import OrbMatcher

        verifier = OrbMatcher()
    threshold = spec.get("threshold") or calibrated_threshold(emb.meta, verifier is not None)
    path = spec.get("cache")
    if path and spec.get("fresh"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    cache = Cache(Path(path) if path else None)
    folder = Path(spec["folder"])
    changed = _change(folder, spec["change"], spec.get("seed", 0)) if spec.get("change") else []
    startup = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        result = scan(folder, emb, threshold, cache=cache, verifier=verifier)
        seconds = time.perf_counter() - t1
        report_s = report_seconds(result, cache)
    finally:
        cache.close()
        for photo, backup in changed:
            os.replace(backup, photo)
    return {"seconds": seconds, "startup": startup, "report_s": report_s,
            "files": result.stats.files,
            "embedded": result.stats.embedded, "cached": result.stats.cached,
            "groups": len(result.groups), "signature": signature(result.groups),
            "threshold": threshold, "peak_rss_mb": peak_rss_mb()}


def phash_child(spec: dict) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    import imagehash
    from PIL import Image

    photos = sorted(Path(spec["folder"]).rglob("*.jpg"))

    def one(path: Path):
        with Image.open(path) as img:
            return imagehash.phash(img)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(spec.get("threads", 1)) as pool:
        hashes = list(pool.map(one, photos))
    return {"seconds": time.perf_counter() - t0, "files": len(hashes),
            "peak_rss_mb": peak_rss_mb()}


def group_child(spec: dict) -> dict:
    from duplicalt.evaluation.speed.data import planted_vectors
    from duplicalt.pairing import grouping

    floor = spec.get("floor", 0.9)
    vectors, truth = planted_vectors(spec["n"], lo=floor, hi=min(1.0, floor + 0.09),
                                     seed=spec.get("seed", 0))
    t0 = time.perf_counter()
    pairs = grouping.neighbour_pairs(vectors, floor)
    groups = grouping.centre_groups(pairs)
    seconds = time.perf_counter() - t0
    found = set(zip(pairs.i.tolist(), pairs.j.tolist()))
    return {"seconds": seconds, "files": spec["n"], "pairs": len(found),
            "recall": len(found & truth) / max(1, len(truth)), "groups": len(groups),
            "path": "exact" if spec["n"] <= grouping.EXACT_MAX else "k-NN cells",
            "peak_rss_mb": peak_rss_mb()}


def czkawka_child(spec: dict) -> dict:
    """Czkawka's image similarity engine (PyPI ``czkawka``) at its default settings."""
    from czkawka import ImageSimilarity

    t0 = time.perf_counter()
    finder = ImageSimilarity()
    finder.set_directories([Path(spec["folder"])])
    groups = finder.find_similar()
    return {"seconds": time.perf_counter() - t0,
            "files": len(list(Path(spec["folder"]).rglob("*.jpg"))), "groups": len(groups),
            "peak_rss_mb": peak_rss_mb()}


KINDS = {"info": info, "scan": scan_child, "phash": phash_child, "group": group_child,
         "czkawka": czkawka_child}

if __name__ == "__main__":
    result = KINDS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result))
