"""Training photos that training never sees: the evaluation's distractors and the
photos DuplicAlt found to be copies of a benchmark original.

Both lists live beside this module as plain text, one ``shard.tar:member`` key a
line (the key ``data.iter_blobs`` gives each tar member), so they are fixed in
the repository, reviewable, and the same on every machine:

* ``held_out_distractors.txt``: ``split<TAB>key``; drawn once by ``draw_distractors``
  (a hash of the key, not a random generator), 2,000 for the calibration split
  and 5,000 for the test split of ``duplicalt evaluate``;
* ``bench_copies.txt``: ``key<TAB>bench original<TAB>inliers`` for every training
  photo the default scan (embedding candidates + ORB matcher) pairs with an
  original of ``bench/originals`` (written by evaluation.accuracy.contamination).
"""
from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path
from typing import Iterable

HERE = Path(__file__).resolve().parent
DISTRACTORS_FILE = HERE / "held_out_distractors.txt"
BENCH_COPIES_FILE = HERE / "bench_copies.txt"
SPLIT_SIZES = {"calibration": 2000, "test": 5000}


def _unit(key: str, salt: bytes) -> float:
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=salt).digest()
    return int.from_bytes(digest, "big") / 2**64


def tar_keys(shards: Iterable[Path]) -> list[str]:
    """``shard.tar:member`` for every regular member, shards in sorted order."""
    keys = []
    for shard in sorted(Path(s) for s in shards):
        with tarfile.open(shard, "r:") as tar:
            keys += [f"{shard.name}:{m.name}" for m in tar if m.isfile()]
    return keys


def draw_distractors(keys: Iterable[str], sizes: dict[str, int] = SPLIT_SIZES) -> dict[str, list[str]]:
    """The keys with the smallest hashes, dealt to the splits in order of hash:
    the same keys give the same lists, whatever order they come in."""
    ranked = sorted(set(keys), key=lambda k: _unit(k, b"dup-distract"))
    out, start = {}, 0
    for split, n in sizes.items():
        out[split] = sorted(ranked[start:start + n])
        start += n
    if start > len(ranked):
        raise ValueError(f"only {len(ranked)} training photos for {start} distractors")
    return out


def write_distractors(lists: dict[str, list[str]], path: Path = DISTRACTORS_FILE) -> None:
    lines = [f"{split}\t{key}" for split, keys in lists.items() for key in keys]
    path.write_text("# split<TAB>shard:member, held out of training (see holdout.py)\n"
                    + "\n".join(lines) + "\n")


def _rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        return []
    return [line.split("\t") for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def distractors(split: str | None = None, path: Path = DISTRACTORS_FILE) -> list[str]:
    """The held-out distractor keys (of one split, or all)."""
    return [r[1] for r in _rows(path) if split is None or r[0] == split]


def bench_copies(path: Path = BENCH_COPIES_FILE) -> list[str]:
    return [r[0] for r in _rows(path)]


def excluded_keys() -> frozenset[str]:
    """Everything the trainer's data loader must skip."""
    return frozenset(distractors()) | frozenset(bench_copies())


def exclusion_digest(keys: Iterable[str]) -> str:
    """Short digest of an exclusion list (part of the training image cache's key)."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:12]
