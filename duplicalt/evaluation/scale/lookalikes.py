"""Pairs of training photos labelled by eye: "same" (one photo, edited or
copied) or "different" (another photo of the same kind of thing). The labels
live in lookalikes.json beside this module, names relative to the shards."""
from __future__ import annotations

import json
from pathlib import Path

LABELS = Path(__file__).with_name("lookalikes.json")
SAME, DIFFERENT = "same", "different"


def load(path: Path = LABELS) -> list[tuple[str, str, str]]:
    if not path.exists():
        return []
    return [(a, b, label) for a, b, label in json.loads(path.read_text())["pairs"]]


def score(grouped: set[frozenset[str]], labels: list[tuple[str, str, str]]) -> dict:
    """Of each label, how many pairs the scan grouped (names as in ``labels``)."""
    out = {}
    for kind in (SAME, DIFFERENT):
        pairs = [frozenset((a, b)) for a, b, label in labels if label == kind]
        hit = sum(p in grouped for p in pairs)
        out[kind] = {"labelled": len(pairs), "grouped": hit,
                     "fraction": round(hit / len(pairs), 4) if pairs else None}
    return out
