"""Embedding photos: decode in worker threads while the encoder runs batches.

``load()`` returns a ready embedder (model + preprocessing + device), like
CLIP's ``load()``; it implements scan.types.Embedder for the scan pipeline.
One L2-normalised vector per photo; the sidecar's ``tta`` says which test-time
views are pooled into it (``flip``: the photo and its mirror image, ``d8``: all 8
rotations/mirrors) and ``trim_borders`` whether frames are cut off first.
"""
from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from duplicalt.photos.decode import DECODE_VERSION, UnreadableImage, load_photo
from duplicalt.scan.types import EmbedOutcome, KeepDecoded
from duplicalt.photos.types import PhotoInfo
from duplicalt.ml.model.encoder import fuse_batchnorm
from duplicalt.ml.model.loading import LoadedModel, load_model
from duplicalt.ml.model.preprocess import Preprocess


VIEWS = {"none": 1, "flip": 2, "d8": 8}  # test-time views per photo


def dihedral_views(x: torch.Tensor, mode: str) -> list[torch.Tensor]:
    """The batch under the identity (``none``), and its mirror (``flip``), or all
    8 rotations/mirrors (``d8``): pooling over the whole group makes the vector
    invariant to it by construction (the squeeze to a square commutes with them)."""
    if mode == "none":
        return [x]
    views = [x, x.flip(3)]
    if mode == "d8":
        views += [torch.rot90(v, k, (2, 3)) for k in (1, 2, 3) for v in (x, x.flip(3))]
    return [v.contiguous(memory_format=torch.channels_last) for v in views]


def choose_device(requested: str | None = "auto") -> torch.device:
    """CUDA, else Apple MPS, else CPU; an explicit request is checked."""
    req = (requested or "auto").lower()
    if req == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if req.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is available")
    if req == "mps" and not (getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available()):
        raise ValueError("--device mps was asked for, but MPS is not available")
    if req not in ("cpu", "mps") and not req.startswith("cuda"):
        raise ValueError(f"unknown device {requested!r}: use auto, cpu, cuda or mps")
    return torch.device(req)


def decode(path: Path, pre: Preprocess, keep: KeepDecoded | None = None
           ) -> tuple[np.ndarray | None, PhotoInfo | None, str | None]:
    """Decode + resize one photo (runs in a worker thread; Pillow drops the GIL).
    ``keep`` is shown the decoded photo too (the pair matcher keeps a small copy
    instead of decoding the file again)."""
    try:
        img, info = load_photo(path, target=pre.size)
        arr = pre.to_array(img)
    except UnreadableImage as exc:
        return None, None, str(exc)
    except Exception as exc:  # a decoder bug must not stop the scan
        return None, None, f"decoder error ({exc.__class__.__name__}: {exc})"
    if keep is not None:
        try:
            keep(path, img, info, pre.size)
        except Exception:  # best effort: the matcher decodes the file itself later
            pass
    return arr, info, None


def default_threads(workers: int) -> tuple[int, int]:
    """(decode workers, torch threads) for a CPU scan: as many decoders as cores,
    and 2 torch threads (a quarter of the cores on bigger machines). Measured on
    2 cores (tta flip, 64 px): library photos of 64-500 px embed at 116/s with 2
    torch threads against 75-84/s with 1 (the network, not decoding, is the
    bottleneck there); 12 MP camera photos at 23-24/s either way (decoding is)."""
    cores = os.cpu_count() or 2
    return workers or max(2, min(16, cores)), min(max(cores, 1), max(2, cores // 4))


def bf16_supported() -> bool:
    cpu = getattr(torch, "cpu", None)
    check = getattr(cpu, "_is_avx512_bf16_supported", None)
    return bool(check and check())


class TorchEmbedder:
    def __init__(self, loaded: LoadedModel, device: str | None = "auto",
                 batch_size: int = 32, workers: int | None = None,
                 threads: int | None = None, precision: str = "fp32") -> None:
        self.device = choose_device(device)
        self.model = fuse_batchnorm(loaded.model.to(self.device).eval())
        if self.device.type != "mps":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.preprocess = loaded.preprocess
        self.tta = str(loaded.meta.get("tta", "none"))
        if self.tta not in VIEWS:
            raise ValueError(f"unknown tta {self.tta!r} in the sidecar: use {', '.join(VIEWS)}")
        # the cache key covers everything that changes a vector: weights, pooling,
        # preprocessing and test-time views
        gem = self.model.pool.p
        self.model_id = f"{loaded.sha256}:{self.preprocess.key}" + \
            (f":gem{gem:g}" if gem != 1.0 else "") + \
            (f":tta-{self.tta}" if self.tta != "none" else "") + f":dec{DECODE_VERSION}"
        self.dim = self.model.embedding_dim
        self.meta = loaded.meta
        self.sidecar = loaded.path
        self.batch_size = batch_size
        self.workers, auto_threads = default_threads(workers)
        self.threads = threads or auto_threads
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"unknown precision {precision!r}: use fp32 or bf16")
        if precision == "bf16" and self.device.type == "cpu" and not bf16_supported():
            raise ValueError("--precision bf16 needs a CPU with AVX512-BF16/AMX")
        self.precision = precision
        if precision == "bf16":  # a faster model is a different model: its own cache rows
            self.model_id = f"{self.model_id}+bf16"

    @torch.inference_mode()
    def embed_arrays(self, arrays: list[np.ndarray]) -> np.ndarray:
        x = self.preprocess.batch(arrays).to(self.device, non_blocking=True)
        if self.device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.float16):
                return self._pooled(x).cpu().numpy()
        before = torch.get_num_threads()
        if self.device.type == "cpu" and before != self.threads:
            torch.set_num_threads(self.threads)  # per call: set in the thread that infers
        try:
            if self.precision == "bf16":
                with torch.autocast(self.device.type, dtype=torch.bfloat16):
                    return self._pooled(x).cpu().numpy()
            return self._pooled(x).cpu().numpy()
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)

    def _pooled(self, x: torch.Tensor) -> torch.Tensor:
        """One L2-normalised vector per photo: the mean of the embeddings of its
        test-time views (the identity alone, or the dihedral orbit), normalised."""
        views = dihedral_views(x, self.tta)
        out = self.model(torch.cat(views)).float()
        return F.normalize(out.view(len(views), x.shape[0], -1).mean(0), dim=1)

    def embed(self, paths: Sequence[Path], keep: KeepDecoded | None = None
              ) -> Iterator[list[EmbedOutcome]]:
        """Yield outcomes batch by batch; decoding runs up to 3 batches ahead."""
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="decode")
        pending: deque[tuple[int, Future]] = deque()
        nxt = 0
        try:
            for start in range(0, len(paths), self.batch_size):
                stop = min(start + self.batch_size, len(paths))
                while nxt < min(len(paths), stop + 3 * self.batch_size):
                    pending.append((nxt, pool.submit(decode, paths[nxt], self.preprocess, keep)))
                    nxt += 1
                batch = [pending.popleft() for _ in range(stop - start)]
                yield self._run_batch([(i, f.result()) for i, f in batch])
        finally:
            for _, f in pending:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_batch(self, decoded) -> list[EmbedOutcome]:
        good = [(i, arr, info) for i, (arr, info, _) in decoded if arr is not None]
        outs = [EmbedOutcome(i, error=err, info=info)
                for i, (arr, info, err) in decoded if arr is None]
        if good:
            vecs = self.embed_arrays([arr for _, arr, _ in good])
            outs += [EmbedOutcome(i, vector=v, info=info) for (i, _, info), v in zip(good, vecs)]
        return sorted(outs, key=lambda o: o.index)


OPTIONS = {"tta": str, "trim_borders": lambda v: str(v).lower() in ("1", "true", "yes"),
           "gem_p": float, "grayscale": lambda v: str(v).lower() in ("1", "true", "yes"),
           "input_size": int, "trim_passes": int}


def with_options(loaded: LoadedModel, options: dict | None) -> LoadedModel:
    """The model with sidecar settings overridden (``duplicalt evaluate --set``):
    test-time views, border trimming, GeM exponent, grayscale, input size. The
    preprocessing is always rebuilt from the sidecar (it names ``trim_borders``)."""
    options = options or {}
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown model option(s) {sorted(unknown)}: use {', '.join(OPTIONS)}")
    meta = {**loaded.meta, **{k: OPTIONS[k](v) for k, v in options.items()}}
    loaded.model.pool.p = float(meta.get("gem_p", 1.0))
    return replace(loaded, preprocess=Preprocess.from_meta(meta), meta=meta)


def load(model: str | Path | None = None, device: str | None = "auto",
         batch_size: int = 32, workers: int | None = None, threads: int | None = None,
         precision: str = "fp32", options: dict | None = None) -> TorchEmbedder:
    """Load the installed (or given) model, ready to embed photos."""
    return TorchEmbedder(with_options(load_model(model), options), device, batch_size, workers,
                         threads, precision)
