"""Regrouping a finished scan at another threshold, without re-embedding (the
window's slider, the evaluation's threshold sweep).

Above the floor the stored pairs are filtered; below it a new neighbour search
runs and, for a verified scan, the new pairs are checked, cancellably: a
cancelled regroup groups what was checked, and the next one resumes.
"""
from __future__ import annotations

import threading
from dataclasses import replace

from duplicalt.pairing.grouping import neighbour_pairs
from duplicalt.pairing.verification import (UNVERIFIED, accepted, merge_scores, nearest,
                                            scores_or_unverified, verify_pairs)
from duplicalt.photos.cache import Cache
from duplicalt.progress.meter import ProgressFn
from duplicalt.scan.pipeline import keep_apart, merge_identical, similar_groups
from duplicalt.scan.types import ScanResult


def regroup(result: ScanResult, threshold: float, cache: Cache | None = None,
            progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> ScanResult:
    """The same scan grouped at another threshold, without re-embedding. Pairs
    already searched down to a lower floor are filtered; a lower threshold runs
    a new range search over the stored vectors and verifies its new pairs. A
    ``cancel`` stops the verification between batches: the view then groups the
    pairs checked so far, and a later regroup at or below that threshold checks
    the rest (nothing is checked twice)."""
    cache = cache or Cache(None)
    pairs = result.pairs
    if pairs is None or not pairs.covers(threshold):
        pairs = neighbour_pairs(result.vectors, threshold, regions=result.regions)
        if result.verifier is not None:
            pairs = nearest(pairs)
            pairs = merge_scores(pairs, result.pairs) if result.pairs is not None else pairs
    if result.verifier is not None and _unchecked(pairs, threshold):
        pairs = _verify_above(pairs, threshold, result, cache, progress, cancel)
    chosen = keep_apart(accepted(pairs.at(threshold), result.verifier), result.entries,
                        result.not_duplicates, result.digests, cache)
    groups = similar_groups(result.entries, result.infos, result.vectors, chosen, result.regions)
    return replace(result, threshold=threshold, groups=merge_identical(result.identical, groups),
                   pairs=pairs)


def _verify_above(pairs, threshold: float, result: ScanResult, cache: Cache, progress, cancel):
    """``pairs`` with those at or above ``threshold`` verified (the ones below wait
    for a regroup that needs them)."""
    above = pairs.above(threshold)
    checked = verify_pairs(pairs.subset(above), result.entries, result.verifier, cache,
                           progress, cancel, result.regions)
    scores = scores_or_unverified(pairs)
    scores[above] = checked.scores
    return replace(pairs, scores=scores)


def needs_verification(result: ScanResult, threshold: float) -> bool:
    """Whether regrouping a verified scan at ``threshold`` will run the verifier."""
    if result.verifier is None:
        return False
    pairs = result.pairs
    return pairs is None or not pairs.covers(threshold) or _unchecked(pairs, threshold)


def _unchecked(pairs, threshold: float) -> bool:
    """Whether pairs at or above ``threshold`` still wait for the verifier (none
    scored yet, or an earlier regroup was cancelled)."""
    if pairs.scores is None:
        return len(pairs.i) > 0
    return bool(((pairs.scores == UNVERIFIED) & pairs.above(threshold)).any())
