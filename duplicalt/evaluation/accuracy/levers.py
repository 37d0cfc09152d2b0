"""The descriptor ablation on the CALIBRATION split (never the test split):
which inference-time levers make the embedding alone find copies.

One pass stores, for every photo of the calibration folder, the last-stage
feature maps of its 8 rotations/mirrors, with and without border trimming (and
the colour input); every combination of pooling (average / GeM), test-time views
(none / flip / d8) and trimming is then scored from those maps, embedding only,
at the threshold that gives the highest macro recall at pairwise precision >=
0.98 (every pair above the threshold is predicted; no grouping, no matcher).

    python -m duplicalt.evaluation.accuracy.levers --work runs/eval12
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from duplicalt.evaluation.accuracy.dataset import Truth
from duplicalt.evaluation.accuracy.splits import CALIBRATION
from duplicalt.ml.model.torch_engine import dihedral_views
from duplicalt.ml.model.loading import load_model
from duplicalt.ml.model.preprocess import Preprocess
from duplicalt.photos.decode import load_photo

TARGET = 0.98
VIEW_SETS = {"none": [0], "flip": [0, 1], "d8": list(range(8))}


def centre(img, side: float = 0.7):
    """The middle ``side`` x ``side`` of the photo (the multi-crop lever)."""
    w, h = img.size
    dx, dy = int(w * (1 - side) / 2), int(h * (1 - side) / 2)
    return img.crop((dx, dy, w - dx, h - dy))


def feature_maps(model, pre: Preprocess, paths: list[Path], batch: int = 64,
                 crop=None, views: int = 8) -> np.ndarray:
    """(N, views, C, h*w) float16 trunk maps of the first ``views`` dihedral views
    of each photo (identity, mirror, then the rotations)."""
    def decode(p):
        img, _ = load_photo(p, target=pre.size * (2 if crop else 1))
        return pre.to_array(crop(img) if crop else img)

    out = []
    with ThreadPoolExecutor(2) as pool, torch.inference_mode():
        for start in range(0, len(paths), batch):
            x = pre.batch(list(pool.map(decode, paths[start:start + batch])))
            maps = model.trunk(torch.cat(dihedral_views(x, "d8")[:views]))
            n = x.shape[0]
            out.append(maps.view(views, n, maps.shape[1], -1).transpose(0, 1).half().numpy())
    return np.concatenate(out)


def descriptor(maps: np.ndarray, views: list[int], gem: float) -> np.ndarray:
    x = torch.from_numpy(maps[:, views]).float().clamp(min=1e-6)
    pooled = x.mean(-1) if gem == 1.0 else x.pow(gem).mean(-1).pow(1 / gem)
    emb = F.normalize(pooled, dim=-1).mean(1)
    return F.normalize(emb, dim=-1).numpy()


def region_sims(main: np.ndarray, regions: list[np.ndarray]) -> np.ndarray:
    """Photo-to-photo similarity when each photo also carries region vectors: the
    best of whole-to-whole and whole-to-region either way (a crop's whole photo
    meets the original's region; regions never meet regions)."""
    sims = main @ main.T
    for r in regions:
        cross = main @ r.T
        sims = np.maximum(sims, np.maximum(cross, cross.T))
    return sims


def scores_at_best(vecs: np.ndarray, names: list[str], truth: Truth,
                   sims: np.ndarray | None = None) -> dict:
    """Pairwise precision / macro recall at the calibrated threshold (``sims``:
    a precomputed photo-to-photo similarity instead of ``vecs @ vecs.T``)."""
    index = {n: k for k, n in enumerate(names)}
    sims = vecs @ vecs.T if sims is None else sims
    iu = np.triu_indices(len(names), 1)
    flat = sims[iu]
    true = np.zeros(len(names) * len(names), dtype=bool)
    for a, b in truth.pairs():
        i, j = sorted((index[a], index[b]))
        true[i * len(names) + j] = True
    is_true = true[iu[0] * len(names) + iu[1]]
    fams = {f: np.array([sims[index[a], index[b]] for a, b in (tuple(p) for p in ps)])
            for f, ps in truth.family_pairs().items() if ps}
    best = None
    for t in np.round(np.arange(0.5, 1.0, 0.01), 2):
        pred = flat >= t
        precision = float((pred & is_true).sum() / max(1, pred.sum()))
        fam = {f: float((s >= t).mean()) for f, s in fams.items()}
        macro = sum(fam.values()) / len(fam)
        row = {"threshold": float(t), "precision": precision, "macro_recall": macro,
               "min_family": min(fam, key=fam.get), "min_recall": min(fam.values()), "per_family": fam}
        if precision >= TARGET and (best is None or macro > best["macro_recall"] + 1e-9):
            best = row
    return best or row


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("runs/eval12"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--distractors", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--inputs", nargs="+", default=["gray", "gray+trim"],
                    help="gray, gray+trim, gray+trim3 (3 trimming passes), centre70+trim, colour")
    ap.add_argument("--views", type=int, default=8, help="dihedral views computed (2: id+mirror)")
    ap.add_argument("--combine", nargs="*", default=[],
                    help="inputs pooled into one vector, e.g. gray+trim,centre70+trim")
    ap.add_argument("--regions", nargs="*", default=[],
                    help="whole photo, then region vectors kept apart (best match), "
                         "e.g. gray+trim,centre70+trim")
    ap.add_argument("--rotations", nargs="*", default=[],
                    help="inputs whose mirror-pooled vector is also queried turned by 90, "
                         "180 and 270 degrees (best match; needs --views 8)")
    return ap


def _calibration_truth(folder: Path, distractors: int) -> tuple[list[str], Truth]:
    files = json.loads((folder / "truth.json").read_text())["files"]
    keep = [n for n, (o, _) in sorted(files.items()) if not o.startswith("distractor:")]
    keep += [n for n, (o, _) in sorted(files.items()) if o.startswith("distractor:")][:distractors]
    return keep, Truth({n: tuple(files[n]) for n in keep})


def _maps(args, loaded, paths: list[Path], n: int) -> dict:
    """Feature maps per input, cached in the work folder."""
    base = replace(Preprocess.from_meta(loaded.meta), centre=0.0)  # one input: the levers pool
    inputs = {"gray": (base, None), "gray+trim": (replace(base, trim_borders=True), None),
              "centre70+trim": (replace(base, trim_borders=True), centre),
              "gray+trim3": (replace(base, trim_borders=True, trim_passes=3), None),
              "colour": (replace(base, grayscale=False), None)}
    maps = {}
    for label in args.inputs:
        cached = args.work / f"levers-maps-{label}-{n}-{args.views}.npy"
        t0 = time.time()
        if cached.is_file():
            maps[label] = np.load(cached)
        else:
            pre, crop = inputs[label]
            maps[label] = feature_maps(loaded.model, pre, paths, crop=crop, views=args.views)
            np.save(cached, maps[label])
        print(f"{label}: {len(paths)} photos x {args.views} views in {time.time() - t0:.0f} s",
              flush=True)
    return maps


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    torch.set_num_threads(2)
    folder = args.work / CALIBRATION
    keep, truth = _calibration_truth(folder, args.distractors)
    maps = _maps(args, load_model(args.model), [folder / "photos" / n for n in keep], len(keep))
    results = []
    combos = [[label] for label in args.inputs] + [c.split(",") for c in args.combine]
    for combo in combos:
        for views, gem in [(v, g) for v in VIEW_SETS for g in (1.0, 3.0)
                           if max(VIEW_SETS[v]) < args.views]:
            vec = sum(descriptor(maps[label], VIEW_SETS[views], gem) for label in combo)
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            r = scores_at_best(vec, keep, truth)
            r.update(input="+".join(combo), views=views, gem=gem)
            results.append(r)
            _print_row(r)
    results += _region_results(args, maps, keep, truth)
    results += _rotation_results(args, maps, keep, truth)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


def _print_row(r: dict) -> None:
    print(f"  {r['input']:<10} views={r['views']:<5} gem={r['gem']:g}: t={r['threshold']:.2f} "
          f"P={r['precision']:.3f} macroR={r['macro_recall']:.3f} "
          f"min {r['min_family']}={r['min_recall']:.2f}", flush=True)


def _region_results(args, maps: dict, keep: list[str], truth: Truth) -> list[dict]:
    """The region-vector lever: each photo keeps its whole vector and region vectors."""
    out = []
    for spec in args.regions:
        main, *rest = spec.split(",")
        for views in [v for v in VIEW_SETS if max(VIEW_SETS[v]) < args.views]:
            vecs = [descriptor(maps[label], VIEW_SETS[views], 1.0) for label in [main, *rest]]
            out.append(_best_match_row(vecs[0], vecs[1:], keep, truth,
                                       f"{main} with regions {'+'.join(rest)}", views))
    return out


def _best_match_row(main: np.ndarray, extra: list[np.ndarray], keep: list[str], truth: Truth,
                    label: str, views: str) -> dict:
    """Scores when each photo carries ``extra`` vectors beside ``main`` (region_sims), printed."""
    r = scores_at_best(main, keep, truth, region_sims(main, extra))
    r.update(input=label, views=views, gem=1.0)
    _print_row(r)
    return r


TURNS = {"90+270": [[2, 3], [6, 7]], "90+180+270": [[2, 3], [4, 5], [6, 7]]}  # d8 view indices


def _rotation_results(args, maps: dict, keep: list[str], truth: Truth) -> list[dict]:
    """Querying the quarter turns: each photo keeps its mirror-pooled vector and
    the mirror-pooled vectors of its turned copies; a pair's score is the best of
    straight-to-straight and straight-to-turned either way (region_sims)."""
    out = []
    for label in args.rotations:
        if args.views < 8:
            raise SystemExit("--rotations needs --views 8 (the turned views' feature maps)")
        main = descriptor(maps[label], VIEW_SETS["flip"], 1.0)
        for name, turns in TURNS.items():
            turned = [descriptor(maps[label], views, 1.0) for views in turns]
            out.append(_best_match_row(main, turned, keep, truth, f"{label} queried at {name}",
                                       "flip"))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
