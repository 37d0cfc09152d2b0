"""The one rule for the similarity threshold a scan starts at (no torch import,
so the window can ask before the model code has loaded).

A model's sidecar names two calibrated thresholds: ``default_threshold`` for the
scan with the second-stage check, ``embedding_only_threshold`` for the
embedding alone. A sidecar without the second falls back to the first, one
without either to FALLBACK.
"""
from __future__ import annotations

from typing import Any, Mapping

FALLBACK = 0.90


def calibrated_threshold(meta: Mapping[str, Any] | None, verified: bool = True) -> float:
    """The model's calibrated threshold, with (``verified``) or without the check."""
    meta = meta or {}
    key = "default_threshold" if verified else "embedding_only_threshold"
    for value in (meta.get(key), meta.get("default_threshold")):
        try:
            if value is not None and 0.0 < float(value) <= 1.0:
                return float(value)
        except (TypeError, ValueError):
            continue
    return FALLBACK
