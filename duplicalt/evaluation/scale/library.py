"""The scale benchmark's library: every shared training shard, extracted once,
plus edited copies of the TEST-split bench originals planted beside them.

    <work>/library/train/<shard member paths>   (42,591 photos)
    <work>/library/planted/<stem>[__family].ext (originals + edited copies)

Built with a fixed seed and reused when the spec is unchanged (truth.json).
No torch here.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

from duplicalt.evaluation.accuracy.dataset import (Truth, copy_originals, plant_edits,
                                                   saved_truth, write_truth)
from duplicalt.evaluation.accuracy.splits import TEST, split_originals

LIBRARY_VERSION = 1
TRAIN, PLANTED, LIBRARY = "train", "planted", "library"


def extract_shards(shards: list[Path], dest: Path) -> int:
    """Extract each shard's regular files under ``dest`` (once: a marker per shard)."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for shard in sorted(shards):
        marker = dest / f".{shard.name}.done"
        with tarfile.open(shard) as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            if not marker.exists():
                tar.extractall(dest, members=members, filter="data")
                marker.write_text(str(len(members)))
        count += len(members)
    return count


def plant(originals: list[Path], dest: Path, per_family: int, seed: int) -> Truth:
    """Originals plus ``per_family`` edited copies for each edit family."""
    files = copy_originals(originals, dest)
    plant_edits(originals, dest, per_family, seed, files)
    return Truth(files)


def build(shards: list[Path], originals: Path, work: Path, per_family: int = 100,
          seed: int = 11, split: str = TEST) -> tuple[Path, Truth]:
    """The library folder and the planted truth (names relative to planted/).
    ``split``: which bench originals are planted (TEST for reports; the
    CALIBRATION split is for choosing constants)."""
    root = work / LIBRARY
    test = split_originals(p for p in originals.iterdir()
                           if p.is_file() and not p.name.startswith("."))[split]
    spec = {"version": LIBRARY_VERSION, "seed": seed, "per_family": per_family, "split": split,
            "originals": [p.name for p in test], "shards": sorted(s.name for s in shards)}
    extract_shards(shards, root / TRAIN)
    manifest = work / "truth.json"
    saved = saved_truth(manifest, spec)
    if saved is not None:
        return root, saved
    return root, write_truth(manifest, spec, plant(test, root / PLANTED, per_family, seed).files)
