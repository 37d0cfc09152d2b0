"""One benchmark folder per split: originals, their edited copies, distractors.

* calibration: the calibration originals, the 21 everyday families (edits.py)
  and 4 calibration-only framed families (framed.py: the photo on an album page,
  in a desktop window, padded onto a smoothed copy of itself, in a mosaic
  without gaps), the calibration distractors; thresholds and levers are
  chosen here;
* test: the test originals, the same 21 families plus the 10 test-only families
  (heldout.py), the 5,000 test distractors; this is what the tables report.

Distractors are training-shard photos that training never sees
(ml.training.holdout); they are photos with no copy in the folder, so every pair
with one of them is a false pair. The collage and screenshot edits fill their
other cells with calibration distractors, which are not in the test folder;
the framed calibration families fill theirs with training photos of neither split.
"""
from __future__ import annotations

import hashlib
import io
import random
import re
import tarfile
from pathlib import Path
from typing import Iterator

from PIL import Image

from duplicalt.evaluation.accuracy.dataset import (Truth, copy_originals, list_originals,
                                                   saved_truth, write_truth)
from duplicalt.evaluation.accuracy.edits import FAMILIES, save_edit
from duplicalt.evaluation.accuracy.framed import FRAMED, WITH_OTHERS
from duplicalt.evaluation.accuracy.heldout import HELD_OUT
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST, split_originals
from duplicalt.ml.training import holdout
from duplicalt.photos.decode import load_photo

SPLIT_VERSION = 3
FILLERS = 24
FRAMED_OTHERS = 5  # other pictures on each calibration framed copy


def family_names(split: str) -> list[str]:
    return list(FAMILIES) + (list(HELD_OUT) if split == TEST else list(FRAMED))


def distractor_keys(split: str, limit: int | None = None) -> list[str]:
    """The split's held-out distractors, minus any photo found to copy a bench original."""
    copies = set(holdout.bench_copies())
    keys = [k for k in holdout.distractors(split) if k not in copies]
    return keys[:limit] if limit is not None else keys


def read_members(keys: list[str], train_dir: Path) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of ``shard.tar:member`` keys, shard by shard."""
    by_shard: dict[str, set[str]] = {}
    for key in keys:
        shard, member = key.split(":", 1)
        by_shard.setdefault(shard, set()).add(member)
    for shard, members in sorted(by_shard.items()):
        path = Path(train_dir) / shard
        if not path.is_file():
            raise FileNotFoundError(f"distractor shard {path} is missing")
        with tarfile.open(path, "r:") as tar:
            for m in tar:
                if m.isfile() and m.name in members:
                    yield f"{shard}:{m.name}", tar.extractfile(m).read()


def distractor_name(key: str) -> str:
    shard, member = key.split(":", 1)
    return "zz_" + re.sub(r"[^A-Za-z0-9._-]", "_", f"{Path(shard).stem}_{member}").lower()


def fillers(train_dir: Path, n: int = FILLERS) -> list[Image.Image]:
    """Other pictures for collages/screenshots: calibration distractors of the
    larger shards (never in the test folder)."""
    keys = [k for k in distractor_keys(CALIBRATION) if not k.startswith("tinyimagenet")][:n]
    return [Image.open(io.BytesIO(b)).convert("RGB") for _, b in read_members(keys, train_dir)]


def album_fillers(train_dir: Path, n: int) -> list[Image.Image]:
    """Other pictures for the calibration framed families: ``n`` training photos
    of the last caltech shard (the last shard when there is none) that are no
    split's distractor (so never a photo of either benchmark folder), spread over
    the shard."""
    taken = holdout.excluded_keys()
    shards = sorted(Path(train_dir).glob("*.tar"), reverse=True)
    shard = next((s for s in shards if s.name.startswith("caltech")), shards[0])
    with tarfile.open(shard, "r:") as tar:
        names = [f"{shard.name}:{m.name}" for m in tar if m.isfile()]
    names = [k for k in names if k not in taken]
    keys = names[::max(1, len(names) // max(n, 1))][:n]
    return [Image.open(io.BytesIO(b)).convert("RGB") for _, b in read_members(keys, train_dir)]


def _spec(split, sources, per_family, seed, keys) -> dict:
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    return {"version": SPLIT_VERSION, "split": split, "seed": seed, "per_family": per_family,
            "originals": [p.name for p in sources], "families": family_names(split),
            "distractors": [len(keys), digest]}


def _write_edits(split, sources, photos, per_family, seed, train_dir, files) -> None:
    rng = random.Random(f"{seed}-{split}")
    extra = fillers(train_dir) if split == TEST else \
        album_fillers(train_dir, FRAMED_OTHERS * per_family * len(WITH_OTHERS))
    used = 0  # the framed copies never share a picture (two pages with one photo are copies)
    for family in family_names(split):
        for src in rng.sample(sources, min(per_family, len(sources))):
            img, _ = load_photo(src)
            r = random.Random(f"{seed}-{family}-{src.stem}")
            if family in HELD_OUT:
                edited = HELD_OUT[family](img, r, r.sample(extra, min(4, len(extra))))
            elif family in FRAMED:
                take = FRAMED_OTHERS if family in WITH_OTHERS else 0
                edited = FRAMED[family](img, r, extra[used:used + take])
                used += take
            else:
                edited = FAMILIES[family](img, r)
            files[save_edit(family, edited, src.stem, photos)] = (src.stem, family)


def build_split(split: str, originals: Path, work: Path, per_family: int, seed: int,
                train_dir: Path, n_distractors: int | None = None) -> Truth:
    """Write ``work/<split>/photos`` (reused when built with the same settings)."""
    sources = split_originals(list_originals(originals))[split]
    keys = distractor_keys(split, n_distractors)
    folder = Path(work) / split
    spec = _spec(split, sources, per_family, seed, keys)
    manifest = folder / "truth.json"
    saved = saved_truth(manifest, spec)
    if saved is not None:
        return saved
    photos = folder / "photos"
    files = copy_originals(sources, photos)
    _write_edits(split, sources, photos, per_family, seed, train_dir, files)
    for key, blob in read_members(keys, train_dir):
        name = distractor_name(key)
        (photos / name).write_bytes(blob)
        files[name] = (f"distractor:{key}", None)
    return write_truth(manifest, spec, files)
