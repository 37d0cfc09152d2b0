"""`duplicalt scale`: the library-scale benchmark in one command.

Builds (once) a library of every shared training shard plus the TEST-split
(``--split calibration``: the calibration split's, for choosing constants)
bench originals with planted edited copies, scans it cold with the default
settings in a child process, and prints the wall time per stage, peak RSS,
candidate and verified pairs, the planted copies' precision/recall per family,
the pairs grouped among the training photos (scored against the labelled
look-alikes in lookalikes.json) and a contact sheet of 40 of them.
``--limit N`` scans a subset of N photos (hard links, same planted set);
``--alone`` also scans the planted set by itself, for the recall comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from duplicalt.evaluation.accuracy import dataset as bm
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST
from duplicalt.evaluation.scale import library, lookalikes
from duplicalt.evaluation.scale.sheet import contact_sheet
from duplicalt.ml.training.shared_data import data_root, missing

SHARED = data_root()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shards", type=Path, default=SHARED / "train", help="folder of *.tar shards")
    p.add_argument("--originals", type=Path, default=SHARED / "bench" / "originals")
    p.add_argument("--work", type=Path, default=Path("runs/scale"),
                   help="library, caches and sheets here (outside the repository's tracked files)")
    p.add_argument("--limit", type=int, default=None, help="scan only this many photos")
    p.add_argument("--per-family", type=int, default=100, help="planted copies per edit family")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--split", default=TEST, choices=[TEST, CALIBRATION],
                   help="which bench originals are planted (calibration: for choosing constants "
                   "such as --margin; test: what the reports quote)")
    p.add_argument("--margin", type=float, default=None,
                   help="density margin for this run (default: pairing.density.MARGIN)")
    p.add_argument("--model", default=None)
    p.add_argument("--threshold", type=float, default=None, help="default: the model's")
    p.add_argument("--engine", default="auto", choices=["auto", "onnx", "torch"],
                   help="what runs the network (auto: ONNX Runtime on a CPU)")
    p.add_argument("--alone", action="store_true", help="also scan the planted set alone")
    p.add_argument("--embeddings-from", type=Path, default=None,
                   help="reuse the vectors of an earlier scan's cache (the embedding stage is "
                   "then skipped; everything after it stays cold)")
    p.add_argument("--no-main", action="store_true", help="with --alone: only the planted set")
    p.add_argument("--sheet-pairs", type=int, default=40)
    p.add_argument("--json", type=Path, dest="json_out")


def child(spec: dict) -> dict:
    cmd = [sys.executable, "-m", "duplicalt.evaluation.scale.child", json.dumps(spec, default=str)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if out.returncode != 0:
        raise RuntimeError(f"scale child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def subset(root: Path, dest: Path, limit: int, seed: int) -> Path:
    """``limit`` photos: all planted ones plus a fixed random sample of training
    photos, hard-linked (or copied) into ``dest`` (reused when present)."""
    marker = dest / f".subset-{limit}-{seed}"
    if marker.exists():
        return dest
    planted = sorted((root / library.PLANTED).iterdir())
    train = sorted(p for p in (root / library.TRAIN).rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    chosen = random.Random(seed).sample(train, max(0, min(len(train), limit - len(planted))))
    for src in planted + chosen:
        dst = dest / src.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            try:
                os.link(src, dst)
            except OSError:
                dst.write_bytes(src.read_bytes())
    marker.write_text("")
    return dest


def planted_scores(grouped: set[frozenset[str]], truth: bm.Truth, prefix: str) -> bm.Scores:
    """The planted truth scored on the grouped pairs that involve a planted photo."""
    mine = {frozenset(n[len(prefix):] if n.startswith(prefix) else "?" + n for n in p)
            for p in grouped if any(n.startswith(prefix) for n in p)}
    return bm.score(mine, truth)


def report(r: dict, truth: bm.Truth, labels, alone: dict | None) -> tuple[list[str], dict]:
    grouped = {frozenset(p) for p in r["grouped_pairs"]}
    train_prefix, planted_prefix = f"{library.TRAIN}/", f"{library.PLANTED}/"
    train_pairs = [p for p in r["grouped_pairs"] if all(n.startswith(train_prefix) for n in p)]
    shard_names = {frozenset(n[len(train_prefix):] for n in p) for p in train_pairs}
    planted = planted_scores(grouped, truth, planted_prefix)
    lines = [f"{r['photos']} photos ({r['files']} files), threshold {r['threshold']:.2f}, "
             f"density margin {r.get('margin', '?')}: "
             f"{r['seconds']:.1f} s wall (+{r['startup']:.1f} s start-up), "
             f"peak RSS {r['peak_rss_mb']} MB; network on {r.get('engine', '?')}",
             "  stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
             + f"; pair search {r['pair_search_s']:.1f}; verification {r['verify_s']:.1f} "
             f"({100 * r['verify_s'] / max(r['seconds'], 1e-9):.1f} % of the wall time)",
             f"  candidate pairs {r['candidate_pairs']}, selected for the verifier "
             f"{r['selected_pairs']}, verified {r['verified_pairs']} "
             f"({r['verified_pairs'] / max(r['photos'], 1):.3f} per photo), "
             f"matcher decodes {r['matcher_decodes']}",
             f"  slider regroup without verification (s): {r['slider_s']}; the JSON report's "
             f"keepers after the scan {r.get('report_s', float('nan')):.1f} s",
             f"  planted: precision {planted.precision:.4f}, recall {planted.recall:.4f}, "
             f"macro recall {planted.macro_recall:.4f}, pairs {planted.predicted} "
             f"(false {planted.false_pairs})",
             "  per family: " + ", ".join(f"{f} {v:.2f}" for f, v in planted.per_family.items()),
             f"  groups {r['groups']}; pairs grouped among training photos: {len(train_pairs)}"]
    out = {"scan": {k: v for k, v in r.items() if k != "grouped_pairs"},
           "planted": planted.__dict__, "train_pairs": len(train_pairs)}
    if labels:
        out["lookalikes"] = scored = lookalikes.score(shard_names, labels)
        for name, s in scored.items():
            lines.append(f"  labelled look-alikes ({name}): 'different' grouped "
                         f"{s['different']['grouped']}/{s['different']['labelled']}, 'same' "
                         f"grouped {s['same']['grouped']}/{s['same']['labelled']}")
    if alone:
        solo = planted_scores({frozenset(p) for p in alone["grouped_pairs"]}, truth,
                              planted_prefix)
        out["alone"] = solo.__dict__
        lines.append(f"  planted set alone ({alone['photos']} photos, {alone['seconds']:.1f} s): "
                     f"precision {solo.precision:.4f}, macro recall {solo.macro_recall:.4f}; "
                     f"macro recall at scale minus alone: "
                     f"{planted.macro_recall - solo.macro_recall:+.4f}")
    return lines, out


def sheet(root: Path, r: dict, out: Path, count: int, seed: int) -> Path | None:
    train = [p for p in r["grouped_pairs"] if all(n.startswith(f"{library.TRAIN}/") for n in p)]
    if not train:
        return None
    picked = random.Random(seed).sample(train, min(count, len(train)))
    return contact_sheet(root, picked, out)


def alone_only(args, spec: dict, root: Path, truth: bm.Truth) -> int:
    r = child(dict(spec, folder=root / library.PLANTED, cache=cache_files(args)[1],
                   vectors_out=None))
    solo = planted_scores({frozenset(f"{library.PLANTED}/{n}" for n in p)
                           for p in r["grouped_pairs"]}, truth, f"{library.PLANTED}/")
    print(f"planted set alone: {r['photos']} photos, {r['seconds']:.1f} s, verified "
          f"{r['verified_pairs']}, precision {solo.precision:.4f}, macro recall "
          f"{solo.macro_recall:.4f}")
    print("  per family: " + ", ".join(f"{f} {v:.2f}" for f, v in solo.per_family.items()))
    if args.json_out:
        args.json_out.write_text(json.dumps({"scan": {k: v for k, v in r.items()
                                                      if k != "grouped_pairs"},
                                             "alone": solo.__dict__}, indent=1, default=str))
    return 0


def cache_files(args) -> list[Path]:
    """The cache files this run starts afresh (emptied before its scans)."""
    return [args.work / f"scale-cache-{args.limit or 'all'}.sqlite", args.work / "alone.sqlite"]


def seed_problem(args) -> str:
    """Why ``--embeddings-from`` cannot be used; "" when it can (or is not given)."""
    src = args.embeddings_from
    if src is None:
        return ""
    if not src.is_file():
        return f"--embeddings-from {src}: no such cache file"
    if any(src.resolve() == ours.resolve() for ours in cache_files(args)):
        return (f"--embeddings-from {src} is a cache this run empties before it scans: "
                f"copy it first (cp {src} {src}.seed) and pass the copy")
    return ""


def moved_roots(seed: Path | None, full: Path, root: Path) -> list[str] | None:
    """(old, new) library roots for ``--embeddings-from``: a scale cache is
    written beside its library (``<work>/library``), so a seed from another
    work folder (e.g. the test split's, for a calibration run) or a --limit
    subset's hard links is remapped onto the library this run scans."""
    if seed is None:
        return None
    old = seed.parent / library.LIBRARY if (seed.parent / library.LIBRARY).is_dir() else full
    return None if old.resolve() == root.resolve() else [str(old), str(root)]


def main(args) -> int:
    problems = [seed_problem(args)] + [missing(path, what, flag) for path, what, flag in (
        (args.shards, "training shards", "--shards"),
        (args.originals, "benchmark photos", "--originals"))]
    for problem in filter(None, problems):
        print(f"duplicalt scale: error: {problem}", file=sys.stderr)
        return 2
    shards = sorted(args.shards.glob("*.tar"))
    print(f"Building/reusing the library in {args.work} ({len(shards)} shards) ...", flush=True)
    root, truth = library.build(shards, args.originals, args.work, args.per_family, args.seed,
                                args.split)
    full = root
    if args.limit:
        root = subset(root, args.work / f"limit-{args.limit}" / library.LIBRARY, args.limit, args.seed)
    spec = {"folder": root, "cache": cache_files(args)[0],
            "model": args.model, "threshold": args.threshold, "engine": args.engine,
            "margin": args.margin,
            "embeddings_from": args.embeddings_from,
            "embeddings_moved": moved_roots(args.embeddings_from, full, root),
            "vectors_out": args.work / f"vectors-{args.limit or 'all'}.npy"}
    if args.no_main:
        return alone_only(args, spec, root, truth)
    r = child(spec)
    alone = child(dict(spec, folder=root / library.PLANTED, cache=cache_files(args)[1],
                       vectors_out=None)) if args.alone else None
    if alone:  # the same names as in the library scan
        alone["grouped_pairs"] = [[f"{library.PLANTED}/{n}" for n in p]
                                  for p in alone["grouped_pairs"]]
    lines, out = report(r, truth, lookalikes.load(), alone)
    print("\n".join(lines))
    png = sheet(root, r, args.work / f"sheet-{r['photos']}.png", args.sheet_pairs, args.seed)
    if png:
        print(f"  contact sheet of {args.sheet_pairs} grouped training pairs: {png}")
    (args.work / f"grouped-{r['photos']}.json").write_text(json.dumps(r["grouped_pairs"]))
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1, default=str))
    return 0
