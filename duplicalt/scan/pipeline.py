"""The scan pipeline: walk -> identical-bytes tier -> embed (cache first) -> group.

The embedder is passed in (see types.Embedder), so this module imports neither
torch nor Qt; the CLI and the window both drive it, with a progress callback
and a cancel event (checked between batches; the cache keeps finished work).
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.scan.embedding import embed_representatives
from duplicalt.pairing.grouping import centre_groups, neighbour_pairs
from duplicalt.pairing.regions import one_partner_per_page, shown_by_page
from duplicalt.progress.meter import Meter
from duplicalt.pairing.types import IDENTICAL, SIMILAR, Group, Member
from duplicalt.scan.types import Embedder, ScanResult, ScanStats
from duplicalt.photos.types import FileEntry, PhotoInfo, Unreadable
from duplicalt.progress.meter import ProgressFn
from duplicalt.pairing.verification import Verifier, accepted, nearest, verify_pairs
from duplicalt.scan.folders import folders, walk_roots

MAX_PAIRWISE = 64  # groups up to this size get all pairwise similarities


def content_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def identical_sets(files: Sequence[FileEntry], cache: Cache, progress: ProgressFn | None,
                   cancel: threading.Event) -> tuple[list[list[int]], list[Unreadable]]:
    """Sets (>= 2) of files with the same bytes; only same-size files are hashed."""
    by_size: dict[int, list[int]] = defaultdict(list)
    for i, e in enumerate(files):
        by_size[e.size].append(i)
    todo = [i for idx in by_size.values() if len(idx) > 1 for i in idx]
    known = cache.get_hashes([files[i] for i in todo])
    digests = {todo[k]: d for k, d in known.items()}
    meter, fresh, bad = Meter("hash", len(todo), progress), [], []
    meter.add(len(digests))
    for i in todo:
        if cancel.is_set():
            break
        if i in digests:
            continue
        try:
            digests[i] = content_digest(files[i].path)
            fresh.append((files[i], digests[i]))
        except OSError as exc:
            bad.append(Unreadable(files[i].path, f"cannot read ({exc.strerror or exc})"))
        meter.add(1)
    cache.put_hashes(fresh)
    same: dict[str, list[int]] = defaultdict(list)
    for i in sorted(digests):
        same[digests[i]].append(i)
    return [idx for idx in same.values() if len(idx) > 1], bad


def similar_groups(entries: Sequence[FileEntry], infos: Sequence[PhotoInfo | None],
                   vectors: np.ndarray, pairs, regions=None) -> tuple[Group, ...]:
    """Centre groups of the accepted ``pairs``; a page's region pairs are first
    cut to its best region (pairing.regions.one_partner_per_page)."""
    pairs = one_partner_per_page(pairs, regions)
    shown = shown_by_page(pairs, regions)
    groups = []
    for centre, members in centre_groups(pairs):
        idx = [centre] + [m for m, _ in members]
        sims = [1.0] + [round(float(s), 4) for _, s in members]
        inside = set(idx)
        group_members = tuple(Member(entries[k], infos[k], s,
                                     shows_another=not shown.get(k, {}).keys().isdisjoint(inside))
                              for k, s in zip(idx, sims))
        pairwise = _pairwise(idx, vectors, shown) if len(idx) <= MAX_PAIRWISE else ()
        groups.append(Group(SIMILAR, group_members, pairwise))
    return tuple(groups)


def _pairwise(idx: list[int], vectors: np.ndarray, shown: dict[int, dict[int, float]]) -> tuple:
    """(a, b, similarity) between a group's members: their cosine, or for a page
    and the picture it shows, the region's similarity when higher."""
    sub = vectors[idx].astype(np.float32)
    block = sub @ sub.T
    pos = {k: n for n, k in enumerate(idx)}
    for x, page in enumerate(idx):
        for other, s in shown.get(page, {}).items():
            if other in pos:
                y = pos[other]
                block[x, y] = block[y, x] = max(block[x, y], s)
    return tuple((a, b, round(float(min(block[a, b], 1.0)), 4))
                 for a in range(len(idx)) for b in range(a + 1, len(idx)))


def _identical_groups(files, sets, infos_by_file) -> tuple[Group, ...]:
    groups = []
    for idx in sets:
        info = next((infos_by_file[i] for i in idx if i in infos_by_file), None)
        members = tuple(Member(files[i], info, 1.0) for i in idx)
        pairs = tuple((a, b, 1.0) for a in range(len(idx)) for b in range(a + 1, len(idx)))
        groups.append(Group(IDENTICAL, members, pairs))
    return tuple(groups)


def merge_identical(identical: Sequence[Group], similar: Sequence[Group]) -> tuple[Group, ...]:
    """One group per file: the byte-identical copies of a photo that is in a
    similar group join that group (right after it, marked ``copy_of``); only
    identical sets outside every similar group stay groups of their own."""
    by_rep = {g.members[0].entry.path: g for g in identical}
    used: set[Path] = set()
    merged = []
    for g in similar:
        if not any(m.entry.path in by_rep for m in g.members):
            merged.append(g)
            continue
        members, slot = [], []
        for k, m in enumerate(g.members):
            members.append(m)
            slot.append(k)
            for copy in by_rep.get(m.entry.path, Group(IDENTICAL, (m,))).members[1:]:
                members.append(replace(copy, similarity=m.similarity, copy_of=m.entry.path,
                                       shows_another=m.shows_another))
                slot.append(k)
            used.add(m.entry.path)
        pair_sim = {(a, b): s for a, b, s in g.pairs}
        pairs = tuple((a, b, 1.0 if slot[a] == slot[b] else
                       pair_sim.get((min(slot[a], slot[b]), max(slot[a], slot[b])), 0.0))
                      for a in range(len(members)) for b in range(a + 1, len(members))
                      if slot[a] == slot[b] or g.pairs)
        merged.append(Group(SIMILAR, tuple(members), pairs))
    alone = tuple(g for g in identical if g.members[0].entry.path not in used)
    return alone + tuple(merged)


def digests_of(rows: Iterable[int], entries: Sequence[FileEntry], known: dict,
               cache: Cache) -> dict:
    """Content digests of ``entries[rows]`` (cache first), added to ``known``."""
    todo = [k for k in dict.fromkeys(int(r) for r in rows) if k not in known]
    hits = cache.get_hashes([entries[k] for k in todo])
    fresh = []
    for n, k in enumerate(todo):
        if n in hits:
            known[k] = hits[n]
            continue
        try:
            known[k] = content_digest(entries[k].path)
            fresh.append((entries[k], known[k]))
        except OSError:
            known[k] = ""
    cache.put_hashes(fresh)
    return known


def keep_apart(pairs, entries: Sequence[FileEntry], not_duplicates, known: dict,
               cache: Cache):
    """``pairs`` without those the user said are not duplicates (by content digest,
    so a renamed or moved photo stays apart); only paired photos are hashed."""
    if not not_duplicates or pairs is None or not len(pairs.i):
        return pairs
    digests = digests_of(np.concatenate([pairs.i, pairs.j]), entries, known, cache)
    keep = np.array([frozenset((digests[int(a)], digests[int(b)])) not in not_duplicates
                     for a, b in zip(pairs.i, pairs.j)], bool)
    return pairs if keep.all() else pairs.subset(keep)


def scan(root: Path | Sequence[Path], embedder: Embedder, threshold: float,
         cache: Cache | None = None, progress: ProgressFn | None = None,
         cancel: threading.Event | None = None, exclude: Iterable[Path] = (),
         verifier: Verifier | None = None, reference: Iterable[Path] = (),
         not_duplicates=frozenset()) -> ScanResult:
    """Scan ``root`` (one folder or several) and group its photos. Never raises for
    a bad photo: those are listed in ``unreadable``. A cancelled scan returns what
    it has. With a ``verifier``, candidate pairs are confirmed by it before
    grouping. Photos under ``reference`` folders (scanned too) are tagged so the
    review never offers them for removal; pairs whose content digests are in
    ``not_duplicates`` (frozensets of two) are never grouped."""
    start = time.monotonic()
    cancel = cancel or threading.Event()
    cache = cache or Cache(None)
    roots, refs = folders(root, reference)
    files, links, walk_bad = walk_roots(roots, exclude, cache, progress)
    sets, hash_bad = identical_sets(files, cache, progress, cancel)
    copies, reps, rep_entries, ok, infos, errors, embedded, matrix, regions = \
        embed_representatives(files, sets, hash_bad, embedder, cache, progress, cancel, verifier)
    entries = tuple(rep_entries[k] for k in ok)
    info_list = tuple(infos.get(k) for k in ok)
    pairs = neighbour_pairs(matrix, threshold, regions=regions)
    if verifier is not None:
        pairs = verify_pairs(nearest(pairs), entries, verifier, cache, progress, cancel, regions)
    apart, digests = frozenset(not_duplicates), {}
    pairs = keep_apart(pairs, entries, apart, digests, cache)
    Meter("group", 1, progress).add(1)
    file_infos = {reps[k]: v for k, v in infos.items()}
    identical = _identical_groups(files, sets, file_infos)
    unreadable = walk_bad + tuple(hash_bad) + tuple(
        Unreadable(rep_entries[k].path, errors[k]) for k in sorted(errors))
    stats = ScanStats(files=len(files), embedded=embedded, cached=len(ok) + len(errors) - embedded,
                      identical_files=len(copies), seconds=round(time.monotonic() - start, 3),
                      cancelled=cancel.is_set())
    return ScanResult(roots[0], threshold,
                      merge_identical(identical, similar_groups(
                          entries, info_list, matrix, accepted(pairs, verifier), regions)),
                      tuple(sorted(unreadable, key=lambda u: str(u.path))), links, stats,
                      embedder.model_id, entries, info_list, matrix, identical, pairs, verifier,
                      roots, refs, apart, digests, regions)
