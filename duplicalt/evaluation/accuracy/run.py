"""`duplicalt evaluate`: score the real scan pipeline on a synthetic benchmark
(named edit families of distinct originals, originals kept as distractors),
beside perceptual-hash baselines, and on imagededup's fixtures."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import regroup, scan
from duplicalt.ml.training.shared_data import data_root, missing
from duplicalt.evaluation.accuracy import dataset as bm
from duplicalt.ml.matcher import OrbMatcher
from duplicalt.ml.model.thresholds import calibrated_threshold

SHARED = data_root() / "bench"
TARGET_PRECISION = 0.97


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--originals", type=Path, default=SHARED / "originals")
    p.add_argument("--fixtures", type=Path, default=SHARED / "imagededup-fixtures")
    p.add_argument("--work", type=Path, default=Path("runs/bench"), help="benchmark folder")
    p.add_argument("--per-family", type=int, default=60, help="edited copies per family")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--threshold", type=float, default=None, help="default: the model's")
    p.add_argument("--sweep-floor", type=float, default=0.5, help="lowest threshold swept")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--no-verify", action="store_true", help="embedding only, no matcher")
    p.add_argument("--json", type=Path, dest="json_out")
    p.add_argument("--calibrate", action="store_true",
                   help="write the calibrated thresholds into the model's sidecar JSON")


def sweep(result, truth: bm.Truth, floor: float) -> list[tuple[float, bm.Scores]]:
    base = regroup(result, floor)
    rows = []
    for t in np.round(np.arange(floor, 1.0, 0.01), 2):
        rows.append((float(t), bm.score(bm.group_pairs(regroup(base, float(t)).groups), truth)))
    return rows


def calibrate(rows: list[tuple[float, bm.Scores]]) -> tuple[float, bm.Scores]:
    """Highest macro recall with precision >= 0.97 (ties: the higher, cheaper
    threshold); else the best macro-F1."""
    ok = [r for r in rows if r[1].precision >= TARGET_PRECISION]
    if ok:
        return max(ok, key=lambda r: (round(r[1].macro_recall, 4), r[1].precision, r[0]))
    return max(rows, key=lambda r: r[1].macro_f1)


def table(named: dict[str, bm.Scores]) -> str:
    names = list(named)
    lines = [f"{'':<18}" + "".join(f"{n:>14}" for n in names)]
    first = named[names[0]]
    rows = [("precision", lambda s: s.precision), ("recall", lambda s: s.recall),
            ("F1", lambda s: s.f1), ("macro recall", lambda s: s.macro_recall),
            ("macro F1", lambda s: s.macro_f1)]
    rows += [(f"  {f}", (lambda f: lambda s: s.per_family[f])(f)) for f in first.per_family]
    for label, get in rows:
        lines.append(f"{label:<18}" + "".join(f"{get(named[n]):>14.3f}" for n in names))
    lines.append(f"{'pairs (false)':<18}" + "".join(
        f"{f'{named[n].predicted} ({named[n].false_pairs})':>14}" for n in names))
    return "\n".join(lines)


def fixtures_check(embedder, verifier, root: Path, threshold: float) -> dict:
    truth, universe, unreadable = bm.fixture_truth(root)
    result = scan(root, embedder, threshold, cache=Cache(None), verifier=verifier)
    predicted = bm.group_pairs(result.groups)
    found_bad = {u.path.relative_to(result.root).as_posix() for u in result.unreadable}
    return {"true_pairs": len(truth), "found": len(predicted & truth),
            "false_pairs": sorted(sorted(p) for p in predicted - truth),
            "unreadable_expected": sorted(unreadable), "unreadable_found": sorted(found_bad)}


def write_calibration(embedder, verified_t: float | None, emb_t: float, args) -> None:
    """Store the thresholds in the sidecar (its sha256 covers the weights only)."""
    path = Path(embedder.sidecar)
    meta = json.loads(path.read_text())
    if verified_t is not None:
        meta["default_threshold"] = verified_t
    meta["embedding_only_threshold"] = emb_t
    meta["calibration"] = {"benchmark": str(args.originals), "per_family": args.per_family,
                           "seed": args.seed, "rule": f"highest macro recall at precision >= "
                           f"{TARGET_PRECISION}, else best macro-F1", "sweep_floor": args.sweep_floor}
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(f"wrote thresholds to {path}")


def main(args) -> int:
    from duplicalt.ml.model.embed import load
    from duplicalt.ml.model.loading import ModelError

    problem = missing(args.originals, "benchmark photos", "--originals")
    if problem:
        print(f"duplicalt evaluate: error: {problem}", file=sys.stderr)
        return 2
    try:
        embedder = load(args.model, args.device)
    except (ModelError, ValueError) as exc:
        print(f"duplicalt evaluate: error: {exc}", file=sys.stderr)
        return 2
    truth = bm.build(args.originals, args.work, args.per_family, args.seed)
    photos = args.work / "photos"
    print(f"Benchmark: {len(truth.files)} photos in {photos} ({len(truth.pairs())} true pairs)")
    cache = Cache(args.work / "cache.sqlite")
    verifier = None if args.no_verify else OrbMatcher()
    result = scan(photos, embedder, args.sweep_floor, cache=cache, verifier=verifier)
    rows = sweep(result, truth, args.sweep_floor)
    emb_t, emb_best = calibrate(sweep(replace(result, verifier=None), truth, args.sweep_floor))
    model_t = float(args.threshold or calibrated_threshold(embedder.meta, verifier is not None))
    ours = bm.score(bm.group_pairs(regroup(result, model_t).groups), truth)
    best_t, best = calibrate(rows)
    tag = "ours+match" if verifier else "ours"
    named = {f"{tag}@{model_t:.2f}": ours, f"{tag}@{best_t:.2f}": best}
    if verifier:
        named[f"emb-only@{emb_t:.2f}"] = emb_best
    if not args.no_baselines:
        names = sorted(truth.files)
        for kind in ("phash", "dhash"):
            named[f"{kind}<=10"] = bm.score(bm.hash_pairs(photos, names, kind), truth)
    print(table(named))
    print(f"calibrated threshold: {best_t:.2f} (highest macro recall at precision >= "
          f"{TARGET_PRECISION}, else best macro-F1); embedding only: {emb_t:.2f}")
    fx = fixtures_check(embedder, verifier, args.fixtures, model_t) \
        if args.fixtures.is_dir() else None
    if fx:
        print(f"imagededup fixtures @ {model_t:.2f}: {fx['found']}/{fx['true_pairs']} true pairs "
              f"found, {len(fx['false_pairs'])} false pairs {fx['false_pairs'][:5]}; unreadable "
              f"{fx['unreadable_found']}")
    if args.calibrate:
        write_calibration(embedder, best_t if verifier else None, emb_t, args)
    if args.json_out:
        out = {"model": embedder.model_id, "threshold": model_t, "calibrated": best_t,
               "calibrated_embedding_only": emb_t,
               "scores": {k: asdict(v) for k, v in named.items()}, "fixtures": fx,
               "sweep": [(t, asdict(s)) for t, s in rows]}
        args.json_out.write_text(json.dumps(out, indent=1))
    return 0
