"""The scan's embedding step: cache hits first, the rest through the embedder,
written to the cache batch by batch; the vectors as one float16 matrix.

A photo's cached blob is its vector, followed (when the model finds pictures
inside photos: ml.model.regions) by its k region vectors and their k boxes as
fractions, all float16: dim + k * (dim + 4) values. The model id in the key
says whether regions were looked for, so old blobs are never misread.
"""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from duplicalt.pairing.regions import Regions
from duplicalt.photos.cache import Cache
from duplicalt.photos.types import FileEntry
from duplicalt.progress.meter import Meter, ProgressFn
from duplicalt.scan.types import Embedder, KeepDecoded


def pack(vec: np.ndarray, regions: np.ndarray | None, boxes: np.ndarray | None) -> np.ndarray:
    """One float16 blob: the vector, then the region vectors, then their boxes."""
    parts = [np.asarray(vec, np.float32).ravel()]
    if regions is not None and len(regions):
        parts += [np.asarray(regions, np.float32).ravel(), np.asarray(boxes, np.float32).ravel()]
    return np.concatenate(parts).astype(np.float16)


def unpack(blob: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(vector, (k, dim) region vectors or None, (k, 4) boxes or None) of a blob."""
    extra = len(blob) - dim
    if extra <= 0:
        return blob, None, None
    if extra % (dim + 4):
        raise ValueError(f"a cached blob of {len(blob)} values is no vector of {dim} + regions")
    k = extra // (dim + 4)
    regions = blob[dim:dim + k * dim].reshape(k, dim)
    return blob[:dim], regions, blob[dim + k * dim:].reshape(k, 4).astype(np.float32)


def embed_entries(entries: Sequence[FileEntry], embedder: Embedder, cache: Cache,
                  progress: ProgressFn | None, cancel: threading.Event,
                  keep: KeepDecoded | None = None):
    """Blobs (see ``pack``) and infos for ``entries``: cache hits first, the rest
    embedded in batches (each decoded photo shown to ``keep``, when given) and
    written to the cache batch by batch. Returns
    (blobs: dict index->float16 blob, infos: dict, errors: dict, newly_embedded: int)."""
    blobs, infos, errors = {}, {}, {}
    for i, (blob, info, err) in cache.get_embeddings(entries, embedder.model_id).items():
        _store(i, blob, info, err, blobs, infos, errors)
    todo = [i for i in range(len(entries)) if i not in blobs and i not in errors]
    meter = Meter("embed", len(todo), progress)
    if todo and not cancel.is_set():
        batches = embedder.embed([entries[i].path for i in todo], keep=keep)
        try:
            for batch in batches:
                rows = []
                for out in batch:
                    i = todo[out.index]
                    blob = None if out.vector is None else pack(out.vector, out.regions, out.boxes)
                    _store(i, blob, out.info, out.error, blobs, infos, errors)
                    rows.append((entries[i], blob, out.info, out.error))
                cache.put_embeddings(rows, embedder.model_id)
                meter.add(len(batch))
                if cancel.is_set():
                    break
        finally:
            close = getattr(batches, "close", None)
            if close:
                close()
    return blobs, infos, errors, meter.done


def stack(blobs: dict[int, np.ndarray], rows: Sequence[int], dim: int, key: str = ""
          ) -> tuple[np.ndarray, Regions]:
    """The vectors of ``rows`` as one float16 matrix (1M x 512 = 1 GB; float16
    exactly as the cache stores them, so a cold scan and a warm re-scan see
    identical vectors), and their region vectors (owner: the row here; ``key``:
    how they were found, see Regions)."""
    matrix = np.empty((len(rows), dim), np.float16)
    found = []
    for r, k in enumerate(rows):
        vec, regions, boxes = unpack(blobs[k], dim)
        matrix[r] = vec
        if regions is not None:
            found.append((r, regions, boxes))
    if not found:
        return matrix, Regions.empty(dim, key)
    owner = np.concatenate([np.full(len(g), r, np.int64) for r, g, _ in found])
    return matrix, Regions(np.concatenate([g for _, g, _ in found]).astype(np.float16), owner,
                           np.concatenate([b for _, _, b in found]), key)


def _store(i, blob, info, err, blobs, infos, errors) -> None:
    if info is not None:
        infos[i] = info
    if blob is not None:
        blobs[i] = blob
    else:
        errors[i] = err or "could not be embedded"


def embed_representatives(files, sets, hash_bad, embedder: Embedder, cache: Cache,
                          progress, cancel, verifier):
    """Embed one file of each identical set (cache first); the vectors as one float16
    matrix and their regions (the per-photo blobs are dropped here: for 1M photos
    another GB)."""
    copies = {i for idx in sets for i in idx[1:]}
    bad_paths = {u.path for u in hash_bad}
    reps = [i for i in range(len(files)) if i not in copies and files[i].path not in bad_paths]
    rep_entries = [files[i] for i in reps]
    keep = getattr(verifier, "keep_decoded", None)  # the matcher reuses the embedder's decode
    blobs, infos, errors, embedded = embed_entries(rep_entries, embedder, cache, progress,
                                                   cancel, keep)
    ok = sorted(blobs)
    matrix, regions = stack(blobs, ok, embedder.dim, getattr(embedder, "regions_key", ""))
    return copies, reps, rep_entries, ok, infos, errors, embedded, matrix, regions
