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

NEAREST = 10  # like the scan: each photo's 10 most similar go to the matcher
HEADER = ("# training key<TAB>bench original<TAB>ORB inliers (-1: too little texture, embedding "
          ">= 0.95) or cosNNN (--close-look); found by evaluation.accuracy.contamination\n")


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
    """Yield (training key, bench original, inliers) for every accepted pair: each
    original's NEAREST most similar training photos above ``floor`` (over all the
    shards seen so far) are checked by the matcher, shard by shard."""
    matcher = OrbMatcher()
    bench = sorted(p for p in originals.iterdir() if p.is_file())
    # Tiny-ImageNet first: the bench originals come from ImageNet too
    shards = sorted(Path(train_dir).glob("*.tar"), key=lambda p: (not p.name.startswith("tiny"), p.name))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="dup-contam-") as tmp:
        qkeys, qpaths, q = _embed_blobs(embedder, [(p.name, p.read_bytes()) for p in bench],
                                        Path(tmp) / "bench")
        best = np.full((len(q), NEAREST), -1.0, np.float32)  # running top-NEAREST similarities
        for shard in shards:
            keys = holdout.tar_keys([shard])
            for start in range(0, len(keys), chunk):
                blobs = list(read_members(keys[start:start + chunk], train_dir))
                tkeys, tpaths, t = _embed_blobs(embedder, blobs, Path(tmp) / f"{shard.stem}-{start}")
                sims = q @ t.T
                best = np.sort(np.concatenate([best, sims], axis=1), axis=1)[:, ::-1][:, :NEAREST]
                cand = [(qi, ti) for qi, ti in zip(*np.nonzero(sims >= np.maximum(best[:, -1:], floor)))]
                scores = matcher.verify([(qpaths[qi], tpaths[ti]) for qi, ti in cand])
                for (qi, ti), score in zip(cand, scores):
                    score = -1 if score is None else int(score)
                    if matcher.accepts(score, float(sims[qi, ti])):
                        log(f"copy: {tkeys[ti]} ~ {qkeys[qi]} ({score} inliers, cos {sims[qi, ti]:.3f})")
                        yield tkeys[ti], qkeys[qi], score
                matcher.forget()
                log(f"{shard.name} {start + len(blobs)}/{len(keys)}: {len(cand)} candidates, "
                    f"{time.time() - t0:.0f} s")


BENCH_SYNSETS = ("n02206856", "n02219486")  # ImageNet's bee and ant: where the bench comes from
CLOSE_FLOOR = 0.80
# looked at and found to be a different photo (a bee on a white flower vs two bees on a
# sunflower, photo_0192.jpg at 0.857): kept as a test distractor
NOT_COPIES = {"tinyimagenet-000.tar:tinyimagenet/n02206856_448.JPEG"}


def close_look(embedder, originals: Path, train_dir: Path, floor: float = CLOSE_FLOOR):
    """The Tiny-ImageNet photos of the bench's own classes get a generous rule:
    any within ``floor`` cosine of a bench original is dropped (a 64-px centre crop
    has too few keypoints for the matcher, and a wrong drop only costs one
    training photo; of the 11 highest such pairs looked at, 10 were copies; see NOT_COPIES)."""
    shard = Path(train_dir) / "tinyimagenet-000.tar"
    keys = [k for k in holdout.tar_keys([shard]) if any(s in k for s in BENCH_SYNSETS)]
    bench = sorted(p for p in originals.iterdir() if p.is_file())
    with tempfile.TemporaryDirectory(prefix="dup-contam-") as tmp:
        qkeys, _, q = _embed_blobs(embedder, [(p.name, p.read_bytes()) for p in bench],
                                   Path(tmp) / "bench")
        tkeys, _, t = _embed_blobs(embedder, list(read_members(keys, train_dir)), Path(tmp) / "t")
    sims = q @ t.T
    for ti in np.nonzero(sims.max(axis=0) >= floor)[0]:
        if tkeys[ti] in NOT_COPIES:
            continue
        qi = int(sims[:, ti].argmax())
        yield tkeys[ti], qkeys[qi], f"cos{sims[qi, ti]:.3f}"


def main(argv=None) -> int:
    from duplicalt.ml.model.embed import load

    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", type=Path, default=data_root() / "bench" / "originals")
    ap.add_argument("--train-data", type=Path, default=data_root() / "train")
    ap.add_argument("--out", type=Path, default=holdout.BENCH_COPIES_FILE)
    ap.add_argument("--close-look", action="store_true",
                    help="also drop the bench classes' Tiny-ImageNet photos within 0.80 cosine")
    args = ap.parse_args(argv)
    embedder = load(None)
    rows = [tuple(r) for r in (line.split("\t") for line in args.out.read_text().splitlines()
                               if line and not line.startswith("#"))] if args.out.is_file() else []
    found = close_look(embedder, args.originals, args.train_data) if args.close_look else \
        find_copies(embedder, args.originals, args.train_data,
                    calibrated_threshold(embedder.meta, True))
    for row in found:
        rows.append(tuple(map(str, row)))  # written as found: a stopped run keeps what it found
        args.out.write_text(HEADER + "".join(f"{k}\t{o}\t{s}\n" for k, o, s in sorted(set(rows))))
    print(f"{len(rows)} training photos are copies of bench originals -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
