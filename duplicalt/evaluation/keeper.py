"""`duplicalt evaluate --keeper`: is the suggested keeper the original?

Each original of one split (TEST by default; the keeper's constants were set
on CALIBRATION) gets one edited copy per family; the keeper sees the pair in a
random order under neutral names of equal length (a name or a path tells
nothing), and the share of pairs where it keeps the original is printed per
family. Families where the file itself shows which is the original ("plainly
better": smaller, compressed, cropped, framed, grey, captioned, blurred,
re-encoded) make the headline; the others (a mirrored or recoloured copy at the
same size and quality) are listed for information.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

from duplicalt.evaluation.accuracy.edits import FAMILIES, save_edit
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST, split_originals
from duplicalt.ml.training.shared_data import data_root, missing
from duplicalt.pairing.types import Member
from duplicalt.photos.decode import UnreadableImage, load_photo
from duplicalt.photos.types import FileEntry
from duplicalt.review.keeper import suggest_keeper

TARGET = 0.95
NOT_PLAIN = frozenset({"brightness", "contrast", "saturation", "hflip", "rot90",
                       "exif_orientation"})  # same size and quality: no file evidence


def letterbox(img: Image.Image, rng: random.Random) -> Image.Image:
    """Black bars to 16:9 (or 9:16) around the photo, as a video export does."""
    w, h = img.size
    tw, th = (max(w, h * 16 // 9), h) if w >= h else (w, max(h, w * 16 // 9))
    if (tw, th) == (w, h):
        tw, th = w, int(h * 1.3)
    out = Image.new("RGB", (tw, th), (0, 0, 0))
    out.paste(img, ((tw - w) // 2, (th - h) // 2))
    return out


def screenshot(img: Image.Image, rng: random.Random) -> Image.Image:
    """The photo shown in a viewer and captured: a dark canvas, a title bar with text."""
    w, h = img.size
    bar = max(12, h // 14)
    pad = max(8, w // 10)
    out = Image.new("RGB", (w + 2 * pad, h + bar + 2 * pad), (36, 36, 40))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, out.width, bar), fill=(58, 58, 64))
    draw.text((8, bar // 4), "photo.jpg - Viewer", fill=(220, 220, 220))
    out.paste(img, (pad, bar + pad))
    return out


EXTRA = {"letterbox": letterbox, "screenshot": screenshot}


def _neutral(stem: str, family: str, role: str, ext: str) -> str:
    return hashlib.sha1(f"{stem}/{family}/{role}".encode()).hexdigest()[:12] + ext


def _member(path: Path) -> Member:
    _img, info = load_photo(path, 64)
    st = path.stat()
    return Member(FileEntry(path, path.name, st.st_size, st.st_mtime_ns, info.format.lower()),
                  info, 1.0)


def make_pair(original: Path, family: str, work: Path, seed: int) -> tuple[Path, Path]:
    """(the original under a neutral name, its edited copy under another)."""
    rng = random.Random(f"{seed}/{original.name}/{family}")
    folder = work / family
    folder.mkdir(parents=True, exist_ok=True)
    orig = folder / _neutral(original.stem, family, "a", original.suffix.lower())
    if not orig.exists():
        shutil.copyfile(original, orig)
    img, _info = load_photo(original)
    edit = EXTRA.get(family) or FAMILIES[family]
    stem = _neutral(original.stem, family, "b", "")
    name = save_edit(family, edit(img, rng), stem, folder)
    copy = folder / (stem + Path(name).suffix)
    (folder / name).replace(copy)
    return orig, copy


def judge(original: Path, family: str, work: Path, seed: int) -> tuple[bool, str]:
    orig, copy = make_pair(original, family, work, seed)
    members = [_member(orig), _member(copy)]
    flip = random.Random(f"{seed}/{original.name}/{family}/order").random() < 0.5
    if flip:
        members.reverse()
    index, reason = suggest_keeper(members)
    return members[index].entry.path == orig, reason


def evaluate(originals: list[Path], families: list[str], work: Path, seed: int,
             workers: int = 2) -> dict[str, tuple[int, int, Counter]]:
    """{family: (kept the original, pairs, reasons)}."""
    out = {}
    with ThreadPoolExecutor(workers) as pool:
        for family in families:
            results = list(pool.map(lambda p: _safe_judge(p, family, work, seed), originals))
            results = [r for r in results if r is not None]
            reasons = Counter(reason for _ok, reason in results)
            out[family] = (sum(ok for ok, _ in results), len(results), reasons)
    return out


def _safe_judge(path: Path, family: str, work: Path, seed: int):
    try:
        return judge(path, family, work, seed)
    except (UnreadableImage, OSError) as exc:
        print(f"skipped {path.name} ({family}): {exc}", file=sys.stderr)
        return None


def table(scores: dict[str, tuple[int, int, Counter]]) -> str:
    lines = [f"{'family':<16}{'original kept':>15}{'pairs':>7}   most common reason"]
    plain_ok = plain_n = 0
    for family, (ok, n, reasons) in scores.items():
        tag = "" if family not in NOT_PLAIN else "   (no file evidence; not counted)"
        if family not in NOT_PLAIN:
            plain_ok, plain_n = plain_ok + ok, plain_n + n
        top = reasons.most_common(1)[0][0] if reasons else ""
        lines.append(f"{family:<16}{ok / max(n, 1):>14.1%}{n:>8}   {top}{tag}")
    share = plain_ok / max(plain_n, 1)
    lines.append(f"{'plainly better':<16}{share:>14.1%}{plain_n:>8}   "
                 f"target >= {TARGET:.0%}: {'met' if share >= TARGET else 'NOT met'}")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--originals", type=Path, default=data_root() / "bench" / "originals")
    p.add_argument("--split", choices=(TEST, CALIBRATION), default=TEST)
    p.add_argument("--work", type=Path, default=Path("runs/keeper"))
    p.add_argument("--limit", type=int, default=0, help="at most this many originals (0: all)")
    p.add_argument("--family", action="append", default=[], help="only these families")
    p.add_argument("--seed", type=int, default=1234)


def run(argv: list[str]) -> int:
    """`duplicalt evaluate --keeper [options]`."""
    parser = argparse.ArgumentParser(prog="duplicalt evaluate --keeper",
                                     description="Share of edited pairs where the keeper "
                                     "suggested is the original, per edit family.")
    add_arguments(parser)
    return main(parser.parse_args(argv))


def main(args) -> int:
    problem = missing(args.originals, "benchmark photos", "--originals")
    if problem:
        print(f"duplicalt evaluate --keeper: error: {problem}", file=sys.stderr)
        return 2
    photos = [p for p in Path(args.originals).iterdir() if p.is_file()]
    chosen = split_originals(photos)[args.split]
    if args.limit:
        chosen = chosen[: args.limit]
    families = args.family or [*FAMILIES, *EXTRA]
    unknown = [f for f in families if f not in FAMILIES and f not in EXTRA]
    if unknown:
        print(f"duplicalt evaluate --keeper: error: unknown family {unknown[0]}", file=sys.stderr)
        return 2
    print(f"Keeper on the {args.split} split: {len(chosen)} originals x {len(families)} families")
    print(table(evaluate(chosen, families, Path(args.work), args.seed)))
    return 0
