"""Second-stage verification of candidate pairs (the matcher is passed in).

Candidate pairs come from the embedding's range search; a verifier (e.g.
duplicalt.ml.matcher.OrbMatcher) scores each pair once, results are cached in
SQLite keyed on both files' (path, size, mtime) and the verifier's name, and
only accepted pairs are grouped.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol, Sequence

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.pairing.grouping import Pairs
from duplicalt.progress.meter import Meter
from duplicalt.photos.types import FileEntry
from duplicalt.progress.meter import ProgressFn

UNVERIFIED = -2  # not checked (yet)
INCONCLUSIVE = -1  # checked, but a photo had too little texture to judge
_BATCH = 64
NEIGHBOURS = 10  # candidates per photo checked by the verifier


class Verifier(Protocol):
    """Scores pairs of photos. It may also have ``keep_decoded`` (a
    types.KeepDecoded): the scan then shows it every photo the embedder decodes."""

    name: str

    def verify(self, pairs: Sequence[tuple]) -> list[int | None]: ...

    def accepts(self, score: int, similarity: float) -> bool: ...


def verify_pairs(pairs: Pairs, entries: Sequence[FileEntry], verifier: Verifier, cache: Cache,
                 progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None) -> Pairs:
    """Fill ``pairs.scores`` for every pair not yet scored (cache first)."""
    scores = pairs.scores.copy() if pairs.scores is not None else \
        np.full(len(pairs.i), UNVERIFIED, np.int32)
    todo = np.nonzero(scores == UNVERIFIED)[0]
    keys = [(entries[pairs.i[k]], entries[pairs.j[k]]) for k in todo]
    for k, score in cache.get_verified(keys, verifier.name).items():
        scores[todo[k]] = score
    todo = [k for k in todo if scores[k] == UNVERIFIED]
    meter = Meter("verify", len(todo), progress)
    for start in range(0, len(todo), _BATCH):
        if cancel is not None and cancel.is_set():
            break
        chunk = todo[start:start + _BATCH]
        found = verifier.verify([(entries[pairs.i[k]].path, entries[pairs.j[k]].path)
                                 for k in chunk])
        rows = []
        for k, score in zip(chunk, found):
            scores[k] = INCONCLUSIVE if score is None else int(score)
            rows.append((entries[pairs.i[k]], entries[pairs.j[k]], int(scores[k])))
        cache.put_verified(rows, verifier.name)
        meter.add(len(chunk))
    return replace(pairs, scores=scores)


def nearest(pairs: Pairs, k: int = NEIGHBOURS) -> Pairs:
    """Keep a pair only if it is among the ``k`` most similar partners of one of
    its two photos: verification then costs O(N k), not O(N^2), even when a
    low threshold lets many unrelated photos through."""
    order = np.argsort(-pairs.sim, kind="stable")
    count: dict[int, int] = {}
    keep = np.zeros(len(order), dtype=bool)
    for p in order.tolist():
        a, b = int(pairs.i[p]), int(pairs.j[p])
        ca, cb = count.get(a, 0), count.get(b, 0)
        if ca < k or cb < k:
            keep[p] = True
        count[a], count[b] = ca + 1, cb + 1
    return pairs.subset(keep)


def accepted(pairs: Pairs, verifier: Verifier | None) -> Pairs:
    """The pairs a verifier accepts (all pairs when there is no verifier)."""
    if verifier is None or pairs.scores is None:
        return pairs
    keep = np.array([s != UNVERIFIED and verifier.accepts(int(s), float(sim))
                     for s, sim in zip(pairs.scores, pairs.sim)], dtype=bool)
    return pairs.subset(keep)


def merge_scores(new: Pairs, old: Pairs) -> Pairs:
    """Carry known scores from ``old`` into ``new`` (a wider search of the same vectors)."""
    if old.scores is None:
        return new
    known = {(int(a), int(b)): int(s) for a, b, s in zip(old.i, old.j, old.scores)}
    scores = np.array([known.get((int(a), int(b)), UNVERIFIED) for a, b in zip(new.i, new.j)],
                      dtype=np.int32)
    return replace(new, scores=scores)
