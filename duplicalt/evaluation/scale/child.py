"""One scale-benchmark scan in a fresh process (its own peak RSS): one JSON line.

    python -m duplicalt.evaluation.scale.child SPEC_JSON

The scan is the one users run (pipeline.scan, the model's default threshold,
the ORB matcher), cold (a new cache file). Stage times come from the progress
reports; the pair search and the verification are timed by wrapping the
pipeline's own calls (nothing else changes).
"""
from __future__ import annotations

import json
import sys
import time
from itertools import combinations
from pathlib import Path

from duplicalt.evaluation.speed.child import peak_rss_mb, report_seconds


def _stage_clock(times: dict):
    def progress(p) -> None:
        now = time.perf_counter()
        first, _ = times.get(p.stage, (now, now))
        times[p.stage] = (first, now)
    return progress


def _wrap(module, name: str, record: dict, count) -> None:
    inner = getattr(module, name)

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        out = inner(*args, **kwargs)
        record[name] = record.get(name, 0.0) + time.perf_counter() - t0
        record[f"{name}_count"] = record.get(f"{name}_count", 0) + count(out, args)
        return out
    setattr(module, name, timed)


def seed_embeddings(cache, source: Path, model: str, moved: tuple[str, str] | None = None
                    ) -> int:
    """Copy the vectors of an earlier scan's cache (any schema) into ``cache``,
    keyed on the files as they are now (``moved``: (old root, new root) of the
    same files, e.g. a --limit subset's hard links): the scan then skips only
    the embedding (walk, hashes, pairs, features and verification stay cold)."""
    import os
    import sqlite3

    rows = []
    for path, size, mtime, vec, w, h, fmt, taken, err in sqlite3.connect(source).execute(
            "SELECT path, size, mtime_ns, vector, width, height, format, taken, error "
            "FROM embeddings WHERE model=?", (model,)):
        if moved:
            old, new = (os.fsencode(str(r)).rstrip(b"/") + b"/" for r in moved)
            if not path.startswith(old):
                continue
            path = new + path[len(old):]
        try:
            st = os.lstat(os.fsdecode(path))
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns) == (size, mtime):
            rows.append((path, model, size, mtime, vec, w, h, fmt, taken, err,
                         st.st_ctime_ns, st.st_ino))
    cache._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                          rows)
    cache._db.commit()
    return len(rows)


def _fresh_cache(spec: dict, emb):
    """A new cache file (the scan is cold), seeded with an earlier scan's vectors
    when asked; (cache, vectors seeded)."""
    from duplicalt.photos.cache import Cache

    cache_path = Path(spec["cache"])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cache_path}{suffix}").unlink(missing_ok=True)
    cache = Cache(cache_path)
    moved = spec.get("embeddings_moved")
    seeded = seed_embeddings(cache, Path(spec["embeddings_from"]), emb.model_id,
                             tuple(moved) if moved else None) \
        if spec.get("embeddings_from") else 0
    return cache, seeded


def _slider(result, threshold: float) -> dict:
    """Seconds the window's slider takes to regroup at three thresholds."""
    from duplicalt.scan.regroup import regroup

    slider = {}
    for t in (threshold + 0.05, threshold + 0.02, threshold):
        t0 = time.perf_counter()
        regroup(result, t)
        slider[f"{t:.2f}"] = round(time.perf_counter() - t0, 3)
    return slider


def _summary(result, record: dict, times: dict, verifier) -> dict:
    stages = {k: round(b - a, 2) for k, (a, b) in times.items()}
    pairs = sorted({tuple(sorted((a.entry.rel, b.entry.rel)))
                    for g in result.groups for a, b in combinations(g.members, 2)})
    return {"stages": stages,
            "pair_search_s": round(record.get("neighbour_pairs", 0.0), 2),
            "verify_s": round(record.get("verify_pairs", 0.0), 2),
            "candidate_pairs": record.get("neighbour_pairs_count", 0),
            "selected_pairs": record.get("nearest_count", 0),
            "verified_pairs": record.get("verify_pairs_count", 0),
            "photos": len(result.entries), "files": result.stats.files,
            "embedded": result.stats.embedded, "groups": len(result.groups),
            "matcher_decodes": getattr(verifier, "decoded", 0),
            "peak_rss_mb": round(peak_rss_mb()), "grouped_pairs": pairs}


def run(spec: dict) -> dict:
    from duplicalt.ml.matcher import OrbMatcher
    from duplicalt.ml.model.embed import load
    from duplicalt.ml.model.thresholds import calibrated_threshold
    from duplicalt.pairing import density
    from duplicalt.scan import pipeline

    if spec.get("margin") is not None:  # this process's own scan only
        density.MARGIN = float(spec["margin"])
    t0 = time.perf_counter()
    emb = load(spec.get("model"), "auto", engine=spec.get("engine") or "auto")
    verifier = None if spec.get("no_verify") else OrbMatcher()
    threshold = spec.get("threshold") or calibrated_threshold(emb.meta, verifier is not None)
    cache, seeded = _fresh_cache(spec, emb)
    record: dict = {}
    _wrap(pipeline, "neighbour_pairs", record, lambda out, a: len(out.i))
    _wrap(pipeline, "nearest", record, lambda out, a: len(out.i))
    _wrap(pipeline, "verify_pairs", record, lambda out, a: int((out.scores >= -1).sum()))
    times: dict = {}
    startup = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = pipeline.scan(Path(spec["folder"]), emb, threshold, cache=cache,
                           progress=_stage_clock(times), verifier=verifier)
    total = time.perf_counter() - t1
    slider = _slider(result, threshold)
    report_s = round(report_seconds(result, cache), 2)
    cache.close()
    if spec.get("vectors_out"):
        import numpy as np
        np.save(spec["vectors_out"], result.vectors)
    return {"seconds": round(total, 2), "startup": round(startup, 2), "threshold": threshold,
            "margin": density.MARGIN,
            "slider_s": slider, "report_s": report_s, "embeddings_seeded": seeded, "engine": emb.engine,
            **_summary(result, record, times, verifier)}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
