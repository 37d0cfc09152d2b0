"""Second-stage verification of candidate pairs (the matcher is passed in).

Candidate pairs come from the embedding's k-nearest-neighbour search; only
those that stand out from their photos' neighbourhoods (pairing.density) are
checked. A verifier (e.g. duplicalt.ml.matcher.OrbMatcher) scores each pair
once, results are cached in SQLite keyed on both files' (path, size, mtime) and
the verifier's name, and only accepted pairs are grouped. Nothing here loops
in Python over all pairs: only over the few that are verified.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol, Sequence

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.pairing import density
from duplicalt.pairing.grouping import Pairs
from duplicalt.progress.meter import Meter
from duplicalt.photos.types import FileEntry, RegionRef
from duplicalt.progress.meter import ProgressFn

UNVERIFIED = -2  # not checked (yet)
INCONCLUSIVE = -1  # checked, but a photo had too little texture to judge
NOT_JUDGED = -3  # a verifier's answer: this similarity cannot be accepted; kept as
# INCONCLUSIVE for this scan and not cached (the similarity may change with the model)
_BATCH = 64


class Verifier(Protocol):
    """Scores pairs of photos. It may also have ``keep_decoded`` (a
    types.KeepDecoded): the scan then shows it every photo the embedder decodes."""

    name: str

    def verify(self, pairs: Sequence[tuple]) -> list[int | None]: ...

    def accepts(self, score: int, similarity: float) -> bool: ...

    # Optional: ``accepts_many(scores, sims) -> bool array``, the same rule vectorised;
    # ``verify_similar(pairs, sims)``: ``verify`` told each pair's embedding similarity, which
    # may answer NOT_JUDGED for a pair that similarity can never let it accept;
    # ``features_name``, ``preload({path: bytes})`` and ``fresh_features() -> {path: bytes}``:
    # each photo's local features are then kept in the cache (computed once, ever).


def verify_pairs(pairs: Pairs, entries: Sequence[FileEntry], verifier: Verifier, cache: Cache,
                 progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None, regions=None) -> Pairs:
    """Fill ``pairs.scores`` for every pair not yet scored (cache first). A pair
    found through a region (``pairs.region``; ``regions``: the scan's
    pairing.regions.Regions) is judged on that part of its photo alone, cached
    under the verifier's name + ":region" + how the regions were found."""
    scores = scores_or_unverified(pairs)
    todo = np.nonzero(scores == UNVERIFIED)[0]
    via = _region_rows(pairs, regions)
    region_name = _region_name(verifier, regions)
    for name, part in ((verifier.name, todo[via[todo] < 0]),
                       (region_name, todo[via[todo] >= 0])):
        keys = [(entries[pairs.i[k]], entries[pairs.j[k]]) for k in part]
        for k, score in cache.get_verified(keys, name).items():
            scores[part[k]] = score
    todo = [k for k in todo if scores[k] == UNVERIFIED]
    meter = Meter("verify", len(todo), progress)
    for start in range(0, len(todo), _BATCH):
        if cancel is not None and cancel.is_set():
            break
        chunk = todo[start:start + _BATCH]
        _load_features(verifier, cache, entries, pairs, chunk)
        rows = []
        for k, score in zip(chunk, _scores(verifier, entries, pairs, chunk, regions, via)):
            scores[k] = INCONCLUSIVE if score is None or score == NOT_JUDGED else int(score)
            if score != NOT_JUDGED:  # depends on the similarity, not on the two files alone
                rows.append((via[k] >= 0, (entries[pairs.i[k]], entries[pairs.j[k]],
                                           int(scores[k]))))
        cache.put_verified([row for region, row in rows if not region], verifier.name)
        cache.put_verified([row for region, row in rows if region], region_name)
        _store_features(verifier, cache, entries, pairs, chunk)
        meter.add(len(chunk))
    return replace(pairs, scores=scores)


def scores_or_unverified(pairs: Pairs) -> np.ndarray:
    """A copy of the pairs' scores, or all UNVERIFIED when none were given."""
    if pairs.scores is not None:
        return pairs.scores.copy()
    return np.full(len(pairs.i), UNVERIFIED, np.int32)


def _region_name(verifier: Verifier, regions) -> str:
    """The cache name of region verdicts: a pair's region comes from its photos and
    the way regions are found (Regions.key), so a changed cut is judged anew."""
    key = getattr(regions, "key", "")
    return f"{verifier.name}:region" + (f"-{key}" if key else "")


def _region_rows(pairs: Pairs, regions) -> np.ndarray:
    """Per pair the region it was found through, -1 for none (or no regions known)."""
    if pairs.region is None or regions is None or not len(regions):
        return np.full(len(pairs.i), -1, np.int64)
    return pairs.region.astype(np.int64)


def _side(entries, row: int, region: int, regions):
    """What the verifier is shown of photo ``row``: its path, or the region of it
    the pair was found through (photos.types.RegionRef)."""
    path = entries[row].path
    if region >= 0 and int(regions.owner[region]) == row:
        return RegionRef(path, tuple(float(v) for v in regions.boxes[region]))
    return path


def _scores(verifier: Verifier, entries, pairs: Pairs, chunk, regions, via) -> list:
    paths = [(_side(entries, int(pairs.i[k]), int(via[k]), regions),
              _side(entries, int(pairs.j[k]), int(via[k]), regions)) for k in chunk]
    with_sims = getattr(verifier, "verify_similar", None)
    if with_sims is None:
        return verifier.verify(paths)
    return with_sims(paths, pairs.sim[chunk])


def _chunk_entries(entries, pairs: Pairs, chunk) -> dict:
    rows = {int(r) for k in chunk for r in (pairs.i[k], pairs.j[k])}
    return {entries[r].path: entries[r] for r in sorted(rows)}


def _load_features(verifier, cache: Cache, entries, pairs: Pairs, chunk) -> None:
    """Hand the verifier the cached features of the chunk's photos it lacks."""
    name = getattr(verifier, "features_name", None)
    if name is None:
        return
    known = getattr(verifier, "has_features", lambda path: False)
    wanted = [e for path, e in _chunk_entries(entries, pairs, chunk).items() if not known(path)]
    found = cache.get_features(wanted, name)
    verifier.preload({wanted[k].path: data for k, data in found.items()})


def _store_features(verifier, cache: Cache, entries, pairs: Pairs, chunk) -> None:
    name = getattr(verifier, "features_name", None)
    if name is None:
        return
    by_path = _chunk_entries(entries, pairs, chunk)
    fresh = verifier.fresh_features()
    cache.put_features([(by_path[p], data) for p, data in fresh.items() if p in by_path], name)


def nearest(pairs: Pairs, k: int = density.PER_PHOTO,
            crowd_min: int = density.CROWD_MIN) -> Pairs:
    """The pairs worth verifying: from ``crowd_min`` photos on, those standing
    out from their photos' neighbourhoods (density.candidates), so verification
    costs O(duplicates), not O(photos x neighbours), however crowded the
    collection; below it (or when the pairs carry no excess) each photo's
    ``k`` most similar partners."""
    if pairs.excess is None or pairs.n < crowd_min:
        return pairs.subset(density.top_per_node(pairs.i, pairs.j, pairs.sim, k))
    return pairs.subset(density.candidates(pairs.i, pairs.j, pairs.sim, pairs.excess,
                                           per_photo=k))


def accepted(pairs: Pairs, verifier: Verifier | None) -> Pairs:
    """The pairs a verifier accepts (all pairs when there is no verifier)."""
    if verifier is None or pairs.scores is None:
        return pairs
    checked = np.flatnonzero(pairs.scores != UNVERIFIED)
    scores, sims = pairs.scores[checked], pairs.sim[checked]
    many = getattr(verifier, "accepts_many", None)
    if many is not None:
        ok = np.asarray(many(scores, sims), bool)
    else:
        ok = np.array([verifier.accepts(int(a), float(b)) for a, b in zip(scores, sims)], bool)
    keep = np.zeros(len(pairs.i), bool)
    keep[checked[ok]] = True
    return pairs.subset(keep)


def merge_scores(new: Pairs, old: Pairs) -> Pairs:
    """Carry known scores from ``old`` into ``new`` (a wider search of the same vectors)."""
    if old.scores is None:
        return new
    n = max(new.n, old.n, 1)
    old_key = old.i.astype(np.int64) * n + old.j
    order = np.argsort(old_key, kind="stable")
    old_key = old_key[order]
    key = new.i.astype(np.int64) * n + new.j
    at = np.clip(np.searchsorted(old_key, key), 0, max(len(old_key) - 1, 0))
    scores = np.full(len(key), UNVERIFIED, np.int32)
    if len(old_key):
        hit = old_key[at] == key
        scores[hit] = old.scores[order][at[hit]]
    return replace(new, scores=scores)
