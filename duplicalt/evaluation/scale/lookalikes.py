"""Pairs of training photos labelled by eye: "same" (one photo, edited or
copied) or "different" (another photo of the same kind of thing). The labels
live in lookalikes.json beside this module, names relative to the shards;
each pair belongs to the "tune" set (used to choose the matcher's checks) or
the "report" set (only scored)."""
from __future__ import annotations

import json
from pathlib import Path

LABELS = Path(__file__).with_name("lookalikes.json")
SAME, DIFFERENT = "same", "different"
TUNE, REPORT = "tune", "report"


def load(path: Path = LABELS) -> list[tuple[str, str, str, str]]:
    """[(a, b, label, set)]; [] when there is no labels file."""
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    sets = data.get("sets") or [REPORT] * len(data["pairs"])
    return [(a, b, label, s) for (a, b, label), s in zip(data["pairs"], sets)]


def score(grouped: set[frozenset[str]], labels) -> dict:
    """Per set (and "all"): of each label, how many pairs the scan grouped."""
    out = {}
    for name in (TUNE, REPORT, "all"):
        rows = [r for r in labels if name == "all" or r[3] == name]
        if not rows:
            continue
        out[name] = {}
        for kind in (SAME, DIFFERENT):
            pairs = [frozenset(r[:2]) for r in rows if r[2] == kind]
            hit = sum(p in grouped for p in pairs)
            out[name][kind] = {"labelled": len(pairs), "grouped": hit,
                               "fraction": round(hit / len(pairs), 4) if pairs else None}
    return out
