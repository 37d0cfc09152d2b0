"""Which training photos are copies of a benchmark original, by DuplicAlt itself.

Every training-shard photo is embedded with the shipped model; each bench
original's nearest training photos above the candidate floor go to the ORB
matcher (the default scan's two stages), and every accepted pair is written to
ml/training/bench_copies.txt, which the trainer's data loader skips (and which
the evaluation leaves out of its distractors).

    python -m duplicalt.evaluation.accuracy.contamination
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from duplicalt.evaluation.accuracy.splitbench import read_members
from duplicalt.ml.matcher import OrbMatcher
from duplicalt.ml.model.thresholds import calibrated_threshold
from duplicalt.ml.training import holdout
from duplicalt.ml.training.shared_data import data_root

NEAREST = 20


def _embed_blobs(embedder, blobs: list[tuple[str, bytes]], scratch: Path
                 ) -> tuple[list[str], list[Path], np.ndarray]:
    """Write the blobs to ``scratch`` and embed them the way a scan does:
    (keys, paths, vectors) of those that decode."""
    scratch.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (key, blob) in enumerate(blobs):
        paths.append(scratch / f"{k:06d}{Path(key).suffix.lower() or '.jpg'}")
        paths[-1].write_bytes(blob)
    keys, kept, vecs = [], [], []
    for batch in embedder.embed(paths):
        for o in batch:
            if o.vector is not None:
                keys.append(blobs[o.index][0])
                kept.append(paths[o.index])
                vecs.append(o.vector)
    return keys, kept, np.array(vecs, dtype=np.float32).reshape(len(vecs), -1)


def find_copies(embedder, originals: Path, train_dir: Path, floor: float, chunk: int = 4096,
                log=print):
    """Yield (training key, bench original, inliers) for every accepted pair."""
    matcher = OrbMatcher()
    bench = sorted(p for p in originals.iterdir() if p.is_file())
    keys = holdout.tar_keys(sorted(Path(train_dir).glob("*.tar")))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="dup-contam-") as tmp:
        qkeys, qpaths, q = _embed_blobs(embedder, [(p.name, p.read_bytes()) for p in bench],
                                        Path(tmp) / "bench")
        for start in range(0, len(keys), chunk):
            blobs = list(read_members(keys[start:start + chunk], train_dir))
            tkeys, tpaths, t = _embed_blobs(embedder, blobs, Path(tmp) / f"t{start}")
            sims = q @ t.T
            order = np.argsort(-sims, axis=1)[:, :NEAREST]
            cand = [(qi, ti) for qi in range(len(q)) for ti in order[qi] if sims[qi, ti] >= floor]
            scores = matcher.verify([(qpaths[qi], tpaths[ti]) for qi, ti in cand])
            for (qi, ti), score in zip(cand, scores):
                score = -1 if score is None else int(score)
                if matcher.accepts(score, float(sims[qi, ti])):
                    log(f"copy: {tkeys[ti]} ~ {qkeys[qi]} ({score} inliers, cos {sims[qi, ti]:.3f})")
                    yield tkeys[ti], qkeys[qi], score
            matcher.forget()
            log(f"{start + len(blobs)}/{len(keys)} training photos, {len(cand)} candidates, "
                f"{time.time() - t0:.0f} s")


def main(argv=None) -> int:
    from duplicalt.ml.model.embed import load

    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", type=Path, default=data_root() / "bench" / "originals")
    ap.add_argument("--train-data", type=Path, default=data_root() / "train")
    ap.add_argument("--out", type=Path, default=holdout.BENCH_COPIES_FILE)
    args = ap.parse_args(argv)
    embedder = load(None)
    rows = list(find_copies(embedder, args.originals, args.train_data,
                            calibrated_threshold(embedder.meta, True)))
    args.out.write_text("# training key<TAB>bench original<TAB>ORB inliers (-1: too little "
                        "texture, embedding >= 0.95); found by evaluation.accuracy.contamination\n"
                        + "".join(f"{k}\t{o}\t{s}\n" for k, o, s in sorted(set(rows))))
    print(f"{len(rows)} training photos are copies of bench originals -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
