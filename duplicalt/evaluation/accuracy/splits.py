"""The calibration and test splits of the bench originals, kept apart for good.

An original belongs to one split by the hash of its bytes (not its name, not a
random draw), so the assignment never changes between runs or machines and a
renamed copy stays where it was. Thresholds, input sizes and matcher constants
are chosen on CALIBRATION only; TEST is what the tables report.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

CALIBRATION, TEST = "calibration", "test"
TEST_SHARE = 0.5


def split_of(path: Path) -> str:
    """CALIBRATION or TEST for one original photo file."""
    digest = hashlib.blake2b(Path(path).read_bytes(), digest_size=8, person=b"dup-split").digest()
    return TEST if int.from_bytes(digest, "big") / 2**64 < TEST_SHARE else CALIBRATION


def split_originals(paths: Iterable[Path]) -> dict[str, list[Path]]:
    """{CALIBRATION: [...], TEST: [...]}, each sorted by path."""
    out: dict[str, list[Path]] = {CALIBRATION: [], TEST: []}
    for p in sorted(Path(p) for p in paths):
        out[split_of(p)].append(p)
    return out
