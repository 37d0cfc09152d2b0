"""Building and scoring the synthetic near-duplicate benchmark (no torch here)."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path


from duplicalt.photos.decode import load_photo
from duplicalt.evaluation.accuracy.edits import FAMILIES, save_edit

BENCH_VERSION = 2


@dataclass(frozen=True)
class Truth:
    """The benchmark's files: name -> (original stem, family or None)."""

    files: dict[str, tuple[str, str | None]]

    def pairs(self) -> set[frozenset[str]]:
        by_original: dict[str, list[str]] = {}
        for name, (orig, _) in self.files.items():
            by_original.setdefault(orig, []).append(name)
        return {frozenset(p) for names in by_original.values() for p in combinations(names, 2)}

    def family_pairs(self) -> dict[str, list[frozenset[str]]]:
        """family -> [(original file, edited copy)]."""
        originals = {orig: n for n, (orig, fam) in self.files.items() if fam is None}
        out: dict[str, list[frozenset[str]]] = {f: [] for f in FAMILIES}
        for name, (orig, fam) in self.files.items():
            if fam is not None:
                out.setdefault(fam, []).append(frozenset((originals[orig], name)))
        return out


def list_originals(folder: Path) -> list[Path]:
    """The benchmark's original photos in ``folder`` (hidden files skipped), sorted."""
    sources = sorted(p for p in Path(folder).iterdir()
                     if p.is_file() and not p.name.startswith("."))
    if not sources:
        raise ValueError(f"no photos in {folder}")
    return sources


def saved_truth(manifest: Path, spec: dict) -> Truth | None:
    """The truth of a benchmark folder already built with ``spec``, else None."""
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("spec") == spec:
            return Truth({k: tuple(v) for k, v in saved["files"].items()})
    return None


def write_truth(manifest: Path, spec: dict, files: dict) -> Truth:
    """Record a benchmark folder just built with ``spec`` (read back by saved_truth)."""
    manifest.write_text(json.dumps({"spec": spec, "files": files}, indent=0))
    return Truth(files)


def copy_originals(sources: list[Path], photos: Path) -> dict[str, tuple[str, str | None]]:
    """Empty ``photos`` and copy the originals into it; their truth entries."""
    photos.mkdir(parents=True, exist_ok=True)
    for old in photos.iterdir():
        old.unlink()
    files: dict[str, tuple[str, str | None]] = {}
    for src in sources:
        name = f"{src.stem}{src.suffix.lower()}"
        (photos / name).write_bytes(src.read_bytes())
        files[name] = (src.stem, None)
    return files


def plant_edits(sources: list[Path], photos: Path, per_family: int, seed: int,
                files: dict[str, tuple[str, str | None]]) -> None:
    """``per_family`` edited copies of randomly chosen originals for each of FAMILIES."""
    rng = random.Random(seed)
    for family, edit in FAMILIES.items():
        for src in rng.sample(sources, min(per_family, len(sources))):
            img, _ = load_photo(src)
            edited = edit(img, random.Random(f"{seed}-{family}-{src.stem}"))
            files[save_edit(family, edited, src.stem, photos)] = (src.stem, family)


def build(originals: Path, work: Path, per_family: int, seed: int) -> Truth:
    """Write the benchmark folder (reused when already built with these settings)."""
    sources = list_originals(originals)
    spec = {"version": BENCH_VERSION, "seed": seed, "per_family": per_family,
            "originals": [p.name for p in sources]}
    manifest = work / "truth.json"
    saved = saved_truth(manifest, spec)
    if saved is not None:
        return saved
    photos = work / "photos"
    files = copy_originals(sources, photos)
    plant_edits(sources, photos, per_family, seed, files)
    return write_truth(manifest, spec, files)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    macro_recall: float
    macro_f1: float  # harmonic mean of precision and macro recall
    per_family: dict[str, float]
    predicted: int
    false_pairs: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(predicted: set[frozenset[str]], truth: Truth) -> Scores:
    true_pairs = truth.pairs()
    hits = predicted & true_pairs
    precision = len(hits) / len(predicted) if predicted else 1.0
    recall = len(hits) / len(true_pairs) if true_pairs else 1.0
    per_family = {f: sum(p in predicted for p in ps) / len(ps)
                  for f, ps in truth.family_pairs().items() if ps}
    macro = sum(per_family.values()) / len(per_family) if per_family else 1.0
    return Scores(precision, recall, _f1(precision, recall), macro, _f1(precision, macro),
                  per_family, len(predicted), len(predicted - true_pairs))


def group_pairs(groups, key=lambda m: m.entry.rel) -> set[frozenset[str]]:
    return {frozenset((key(a), key(b))) for g in groups for a, b in combinations(g.members, 2)}


def hash_pairs(photos: Path, names: list[str], kind: str, max_distance: int = 10):
    """Pairs within ``max_distance`` bits of imagehash's pHash or dHash."""
    import imagehash
    import numpy as np

    fn = {"phash": imagehash.phash, "dhash": imagehash.dhash}[kind]
    bits, kept = [], []
    for name in names:
        try:
            img, _ = load_photo(photos / name)
        except Exception:
            continue
        bits.append(fn(img).hash.ravel())
        kept.append(name)
    arr = np.array(bits, dtype=np.uint8)
    out = set()
    for i in range(len(kept)):
        dist = (arr[i + 1:] != arr[i]).sum(axis=1)
        out.update(frozenset((kept[i], kept[i + 1 + j])) for j in np.nonzero(dist <= max_distance)[0])
    return out


def _pixels(path: Path):
    """(size, 32x32 pixels): close for copies that differ only in container or
    metadata (e.g. an opaque alpha channel), not for edits."""
    import numpy as np

    try:
        img, info = load_photo(path)
    except Exception:
        return None, np.zeros((32, 32, 3))
    return (info.width, info.height), np.asarray(img.resize((32, 32)), dtype=np.float32)


def fixture_truth(root: Path) -> tuple[set[frozenset[str]], set[str], set[str]]:
    """imagededup's groups.json closed transitively and over byte-identical and
    pixel-identical copies (groups.json omits e.g. alpha_channel_image.png, an
    opaque-alpha PNG of ukbench00120.jpg): (true pairs, files, unreadable)."""
    from duplicalt.scan.pipeline import content_digest

    spec = json.loads((root / "groups.json").read_text())
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for group in spec["groups"]:
        for a in group[1:]:
            parent[find(a)] = find(group[0])
    unreadable = set(spec.get("unreadable", []))
    digests: dict[str, str] = {}
    pixels: list[tuple[str, tuple, object]] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel not in unreadable and rel != "groups.json":
            d = digests.setdefault(content_digest(p), rel)
            parent[find(rel)] = find(d)
            size, small = _pixels(p)
            for other, other_size, other_small in pixels:  # same picture, other bytes
                if size and size == other_size and abs(small - other_small).mean() < 2.0:
                    parent[find(rel)] = find(other)
            pixels.append((rel, size, small))
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    pairs = {frozenset(p) for ms in members.values() for p in combinations(sorted(ms), 2)}
    return pairs, set(parent), unreadable
