"""`duplicalt evaluate`: the real scan pipeline scored on two benchmark folders
that share no original (evaluation.accuracy.splits):

* calibration: 21 everyday edit families + 2,000 held-out distractors; the
  thresholds (and every other choice) are made here (``--calibrate`` writes them);
* test: the same families, 10 test-only families (heldout.py) + 5,000 held-out
  distractors, scored at the thresholds calibrated on the other split.

Each split's table: ours (default scan: embedding + ORB matcher), ours
embedding only, and the peers (baselines.py: pHash, PDQ x8 dihedral, perception
SIFT) on the same folder. imagededup's fixtures are checked at the end.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from duplicalt.evaluation.accuracy import baselines
from duplicalt.evaluation.accuracy import dataset as bm
from duplicalt.evaluation.accuracy.splitbench import build_split
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST
from duplicalt.ml.matcher import OrbMatcher
from duplicalt.ml.model.thresholds import calibrated_threshold
from duplicalt.ml.training.shared_data import data_root, missing
from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import regroup

SHARED = data_root() / "bench"
TARGET_PRECISION = 0.97  # calibrate()'s default
TARGET_VERIFIED, TARGET_EMBEDDING = 0.99, 0.98  # the precision floors
QUICK = {"per_family": 6, "distractors": 150}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--originals", type=Path, default=SHARED / "originals")
    p.add_argument("--fixtures", type=Path, default=SHARED / "imagededup-fixtures")
    p.add_argument("--train-data", type=Path, default=data_root() / "train",
                   help="folder of the training shards (the held-out distractors are read there)")
    p.add_argument("--work", type=Path, default=None, help="benchmark folder (default runs/eval)")
    p.add_argument("--per-family", type=int, default=40, help="edited copies per family")
    p.add_argument("--distractors", type=int, default=None, help="per split (default: all held out)")
    p.add_argument("--split", choices=("both", CALIBRATION, TEST), default="both")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="options",
                   help="override a model setting: tta=none|flip|d8, trim_borders=true, gem_p=3")
    p.add_argument("--threshold", type=float, default=None, help="default: the model's")
    p.add_argument("--sweep-floor", type=float, default=0.5, help="lowest threshold swept")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--no-perception", action="store_true", help="skip the slowest peer")
    p.add_argument("--no-verify", action="store_true", help="embedding only, no matcher")
    p.add_argument("--quick", action="store_true",
                   help=f"small folders ({QUICK['per_family']} per family, {QUICK['distractors']} "
                   "distractors), no perception, no fixtures: a smoke run")
    p.add_argument("--json", type=Path, dest="json_out")
    p.add_argument("--calibrate", action="store_true",
                   help="write the calibration split's thresholds (and --set options) into the sidecar")


def sweep(result, truth: bm.Truth, floor: float) -> list[tuple[float, bm.Scores]]:
    base = regroup(result, floor)
    rows = []
    for t in np.round(np.arange(floor, 1.0, 0.01), 2):
        rows.append((float(t), bm.score(bm.group_pairs(regroup(base, float(t)).groups), truth)))
    return rows


def calibrate(rows: list[tuple[float, bm.Scores]], target: float = TARGET_PRECISION
              ) -> tuple[float, bm.Scores]:
    """Highest macro recall with precision >= target (ties: the higher, cheaper
    threshold); else the best macro-F1."""
    ok = [r for r in rows if r[1].precision >= target]
    if ok:
        return max(ok, key=lambda r: (round(r[1].macro_recall, 4), r[1].precision, r[0]))
    return max(rows, key=lambda r: r[1].macro_f1)


def at(rows: list[tuple[float, bm.Scores]], threshold: float) -> bm.Scores:
    """The swept row nearest ``threshold``."""
    return min(rows, key=lambda r: abs(r[0] - threshold))[1]


def table(named: dict[str, bm.Scores]) -> str:
    names = list(named)
    width = max(14, *(len(n) + 2 for n in names))
    lines = [f"{'':<20}" + "".join(f"{n:>{width}}" for n in names)]
    families = list(dict.fromkeys(f for s in named.values() for f in s.per_family))
    rows = [("precision", lambda s: s.precision), ("recall", lambda s: s.recall),
            ("macro recall", lambda s: s.macro_recall), ("macro F1", lambda s: s.macro_f1),
            ("min family", lambda s: min(s.per_family.values()) if s.per_family else 1.0)]
    rows += [(f"  {f}", (lambda f: lambda s: s.per_family.get(f, float("nan")))(f)) for f in families]
    for label, get in rows:
        lines.append(f"{label:<20}" + "".join(f"{get(named[n]):>{width}.3f}" for n in names))
    lines.append(f"{'pairs (false)':<20}" + "".join(
        f"{f'{named[n].predicted} ({named[n].false_pairs})':>{width}}" for n in names))
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
    """Store the thresholds (and the --set options they were found with) in the
    sidecar (its sha256 covers the weights only)."""
    path = Path(embedder.sidecar)
    meta = json.loads(path.read_text())
    if verified_t is not None:
        meta["default_threshold"] = verified_t
    meta["embedding_only_threshold"] = emb_t
    meta.update({k: embedder.meta[k] for k in parse_options(args.options)})
    meta["calibration"] = {
        "benchmark": "bench/originals, calibration split (evaluation.accuracy.splits)",
        "per_family": args.per_family, "seed": args.seed, "distractors": args.distractors or "all",
        "rule": f"highest macro recall at precision >= {TARGET_VERIFIED} (default scan) / "
                f">= {TARGET_EMBEDDING} (embedding only), else best macro-F1",
        "sweep_floor": args.sweep_floor}
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(f"wrote thresholds to {path}")


def parse_options(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def evaluate_split(split, embedder, verifier, args, thresholds: dict) -> dict:
    """Build/score one split; on CALIBRATION also choose the thresholds."""
    truth = build_split(split, args.originals, args.work, args.per_family, args.seed,
                        args.train_data, args.distractors)
    photos = args.work / split / "photos"
    print(f"\n== {split} split: {len(truth.files)} photos in {photos}, {len(truth.pairs())} true "
          f"pairs ({sum(o.startswith('distractor:') for o, _ in truth.files.values())} distractors)",
          flush=True)
    result = scan(photos, embedder, args.sweep_floor, cache=Cache(args.work / "cache.sqlite"),
                  verifier=verifier)
    emb_rows = sweep(replace(result, verifier=None), truth, args.sweep_floor)
    rows = sweep(result, truth, args.sweep_floor) if verifier else emb_rows
    if split == CALIBRATION:
        thresholds["embedding"] = calibrate(emb_rows, TARGET_EMBEDDING)[0]
        if verifier:
            thresholds["verified"] = calibrate(rows, TARGET_VERIFIED)[0]
    named = {}
    if verifier:
        named[f"ours scan@{thresholds['verified']:.2f}"] = at(rows, thresholds["verified"])
    named[f"ours emb@{thresholds['embedding']:.2f}"] = at(emb_rows, thresholds["embedding"])
    if not args.no_baselines:
        skip = {"perception-SIFT"} if args.no_perception else set()
        for label, pairs in baselines.peer_pairs(photos, sorted(truth.files), args.work / split,
                                                 skip).items():
            named[label] = bm.score(pairs, truth)
    print(table(named), flush=True)
    return {"photos": len(truth.files), "true_pairs": len(truth.pairs()),
            "scores": {k: asdict(v) for k, v in named.items()},
            "sweep_embedding": [(t, s.precision, s.macro_recall) for t, s in emb_rows],
            "sweep": [(t, s.precision, s.macro_recall) for t, s in rows]}


def _fixtures(embedder, verifier, folder: Path, thresholds: dict) -> dict:
    t = thresholds["verified"] if verifier else thresholds["embedding"]
    fx = fixtures_check(embedder, verifier, folder, t)
    print(f"imagededup fixtures @ {t:.2f}: {fx['found']}/{fx['true_pairs']} true pairs found, "
          f"{len(fx['false_pairs'])} false pairs {fx['false_pairs'][:5]}; unreadable "
          f"{fx['unreadable_found']}")
    return fx


def main(args) -> int:
    from duplicalt.ml.model.embed import load
    from duplicalt.ml.model.model_file import ModelError

    problem = missing(args.originals, "benchmark photos", "--originals") or \
        missing(args.train_data, "training shards (held-out distractors)", "--train-data")
    if problem:
        print(f"duplicalt evaluate: error: {problem}", file=sys.stderr)
        return 2
    if args.quick:
        args.per_family, args.no_perception = QUICK["per_family"], True
        args.distractors = QUICK["distractors"] if args.distractors is None else args.distractors
    args.work = args.work or Path("runs/eval-quick" if args.quick else "runs/eval")
    try:
        embedder = load(args.model, args.device, options=parse_options(args.options))
    except (ModelError, ValueError) as exc:
        print(f"duplicalt evaluate: error: {exc}", file=sys.stderr)
        return 2
    verifier = None if args.no_verify else OrbMatcher()
    thresholds = {"verified": args.threshold or calibrated_threshold(embedder.meta, True),
                  "embedding": args.threshold or calibrated_threshold(embedder.meta, False)}
    splits = [CALIBRATION, TEST] if args.split == "both" else [args.split]
    if args.calibrate and CALIBRATION not in splits:
        print("duplicalt evaluate: error: --calibrate needs the calibration split", file=sys.stderr)
        return 2
    print(f"model {embedder.model_id}")
    out = {"model": embedder.model_id, "splits": {}}
    for split in splits:
        out["splits"][split] = evaluate_split(split, embedder, verifier, args, thresholds)
    out["thresholds"] = dict(thresholds)
    print(f"\nthresholds (chosen on the calibration split): default scan "
          f"{thresholds['verified']:.2f}, embedding only {thresholds['embedding']:.2f}")
    if args.fixtures.is_dir() and not args.quick:
        out["fixtures"] = _fixtures(embedder, verifier, args.fixtures, thresholds)
    if args.calibrate:
        write_calibration(embedder, thresholds.get("verified") if verifier else None,
                          thresholds["embedding"], args)
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1))
    return 0
