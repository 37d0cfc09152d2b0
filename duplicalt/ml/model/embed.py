"""Embedding photos: decode in worker threads while the encoder runs batches.

``load()`` returns a ready embedder (model + preprocessing + device), like
CLIP's ``load()``; it implements scan.types.Embedder for the scan pipeline.
One L2-normalised vector per photo; the sidecar's ``tta`` says which test-time
views are pooled into it (``flip``: the photo and its mirror image, ``d8``: all 8
rotations/mirrors) and ``trim_borders`` whether frames are cut off first. With
``regions`` > 0, up to that many pictures found inside a photo (an album page, a
window, a screenshot: ml.model.regions) get vectors of their own beside it.

Two engines run the same network: on a CPU, ONNX Runtime (onnx_engine: no torch
import, ~2 s sooner to the first photo, faster convolutions); on CUDA or MPS,
or with ``--precision bf16``, torch (torch_engine). Their vectors agree to float
rounding, so they share the cache key. This module imports neither.
"""
from __future__ import annotations

import ctypes.util
import importlib.util
import os
import platform
import sys
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from duplicalt.ml.model.model_file import ModelFile, read_model_file
from duplicalt.ml.model.preprocess import Preprocess
from duplicalt.ml.model.regions import VERSION as REGIONS_VERSION, region_boxes
from duplicalt.photos.decode import DECODE_VERSION, UnreadableImage, load_photo
from duplicalt.photos.types import PhotoInfo
from duplicalt.scan.types import EmbedOutcome, KeepDecoded

VIEWS = {"none": 1, "flip": 2, "d8": 8}  # test-time views per photo
ENGINES = ("auto", "onnx", "torch")


Decoded = tuple[list[np.ndarray] | None, PhotoInfo | None, str | None, np.ndarray | None]


def decode(path: Path, pre: Preprocess, keep: KeepDecoded | None = None,
           regions: int = 0) -> Decoded:
    """Decode + resize one photo (runs in a worker thread; Pillow drops the GIL):
    (arrays: the photo's, then its regions', info, error, (k, 4) region boxes as
    fractions or None). ``keep`` is shown the decoded photo too (the pair matcher
    keeps a small copy instead of decoding the file again)."""
    try:
        img, info = load_photo(path, target=pre.decode_target)
        arrs = [pre.to_array(img)]
        boxes = region_boxes(img, regions) if regions else []
        arrs += [pre.to_array(img.crop(b)) for b in boxes]
    except UnreadableImage as exc:
        return None, None, str(exc), None
    except Exception as exc:  # a decoder bug must not stop the scan
        return None, None, f"decoder error ({exc.__class__.__name__}: {exc})", None
    if keep is not None:
        try:
            keep(path, img, info, pre.decode_target)
        except Exception:  # best effort: the matcher decodes the file itself later
            pass
    w, h = img.size
    fractions = np.float32([(l / w, t / h, r / w, b / h) for l, t, r, b in boxes]) if boxes else None
    return arrs, info, None, fractions


def default_threads(workers: int) -> tuple[int, int]:
    """(decode workers, inference threads) for a CPU scan: as many decoders as
    cores, and 2 inference threads (a quarter of the cores on bigger machines).
    Measured on 2 cores (torch, tta flip, 64 px): library photos of 64-500 px
    embed at 116/s with 2 threads against 75-84/s with 1 (the network, not
    decoding, is the bottleneck there); 12 MP camera photos at 23-24/s either
    way (decoding is)."""
    cores = os.cpu_count() or 2
    return workers or max(2, min(16, cores)), min(max(cores, 1), max(2, cores // 4))


class BatchEmbedder:
    """What both engines share: the model's identity, decoding ahead in threads,
    batches and outcomes. An engine adds ``device``, ``engine`` and
    ``embed_arrays(uint8 HWC arrays) -> (n, dim) L2-normalised float32``."""

    engine = "none"

    def __init__(self, found: ModelFile, batch_size: int = 32, workers: int | None = None,
                 threads: int | None = None) -> None:
        self.preprocess = found.preprocess
        self.tta = str(found.meta.get("tta", "none"))
        if self.tta not in VIEWS:
            raise ValueError(f"unknown tta {self.tta!r} in the sidecar: use {', '.join(VIEWS)}")
        self.gem_p = float(found.meta.get("gem_p", 1.0))
        # the cache key covers everything that changes a vector: weights, pooling,
        # preprocessing and test-time views (not the engine: same vectors to rounding)
        self.model_id = f"{found.sha256}:{self.preprocess.key}" + \
            (f":gem{self.gem_p:g}" if self.gem_p != 1.0 else "") + \
            (f":tta-{self.tta}" if self.tta != "none" else "") + f":dec{DECODE_VERSION}"
        self.regions = int(found.meta.get("regions", 0))  # most region vectors per photo
        self.regions_key = f"regions{self.regions}v{REGIONS_VERSION}" if self.regions else ""
        if self.regions:
            self.model_id += ":" + self.regions_key
        self.dim = 8 * int(found.meta.get("width", 64))
        self.meta = found.meta
        self.sidecar = found.path
        self.batch_size = batch_size
        self.workers, auto_threads = default_threads(workers)
        self.threads = threads or auto_threads

    def embed_arrays(self, arrays: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

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
                    pending.append((nxt, pool.submit(decode, paths[nxt], self.preprocess, keep,
                                                       self.regions)))
                    nxt += 1
                batch = [pending.popleft() for _ in range(stop - start)]
                yield self._run_batch([(i, f.result()) for i, f in batch])
        finally:
            for _, f in pending:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_batch(self, decoded: list[tuple[int, Decoded]]) -> list[EmbedOutcome]:
        """One network batch for the photos and their regions; outcomes by index."""
        good = [(i, arrs, info, boxes) for i, (arrs, info, _, boxes) in decoded if arrs]
        outs = [EmbedOutcome(i, error=err, info=info)
                for i, (arrs, info, err, _) in decoded if not arrs]
        if good:
            flat = [a for _, arrs, _, _ in good for a in arrs]
            # never more than a batch through the network at once: the engines keep work
            # memory for the largest batch they were given, and regions make batches longer
            vecs = np.concatenate([self.embed_arrays(flat[s:s + self.batch_size])
                                   for s in range(0, len(flat), self.batch_size)])
            at = 0
            for i, arrs, info, boxes in good:
                regions = vecs[at + 1:at + len(arrs)] if len(arrs) > 1 else None
                outs.append(EmbedOutcome(i, vector=vecs[at], info=info, regions=regions,
                                         boxes=boxes))
                at += len(arrs)
        return sorted(outs, key=lambda o: o.index)


OPTIONS = {"tta": str, "trim_borders": lambda v: str(v).lower() in ("1", "true", "yes"),
           "gem_p": float, "grayscale": lambda v: str(v).lower() in ("1", "true", "yes"),
           "input_size": int, "trim_passes": int, "centre_pool": float, "regions": int}


def with_options(found: ModelFile, options: dict | None) -> ModelFile:
    """The model with sidecar settings overridden (``duplicalt evaluate --set``):
    test-time views, border trimming, GeM exponent, grayscale, input size, the centre
    pooled with the whole photo (``centre_pool``: its share of each side), the most
    region vectors per photo (``regions``). The
    preprocessing is always built from the (overridden) sidecar."""
    options = options or {}
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown model option(s) {sorted(unknown)}: use {', '.join(OPTIONS)}")
    return found.with_meta({k: OPTIONS[k](v) for k, v in options.items()})


def accelerator_likely() -> bool:
    """Whether torch finds a GPU here, asking it (a ~2 s import) only where one may be:
    an NVIDIA or ROCm driver, or Apple silicon (MPS); a CPU-only torch beside such a
    driver then still gets the CPU engine."""
    if not _torch_loaded() and not _gpu_driver_present():
        return False
    from duplicalt.ml.model.torch_engine import choose_device

    return choose_device("auto").type != "cpu"


def _torch_loaded() -> bool:
    return "torch" in sys.modules


def _gpu_driver_present() -> bool:
    system = platform.system()
    if system == "Darwin":
        return platform.machine() == "arm64"
    if system == "Windows":
        return ctypes.util.find_library("nvcuda") is not None
    return any(Path(p).exists() for p in ("/proc/driver/nvidia/version", "/dev/nvidia0",
                                          "/dev/kfd"))


def choose_engine(engine: str, device: str | None, precision: str) -> str:
    """``onnx`` for fp32 on the CPU when ONNX Runtime is installed, else ``torch``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use {', '.join(ENGINES)}")
    if engine != "auto":
        return engine
    req = (device or "auto").lower()
    cpu = req == "cpu" or (req == "auto" and not accelerator_likely())
    usable = importlib.util.find_spec("onnxruntime") is not None
    return "onnx" if cpu and precision == "fp32" and usable else "torch"


def load(model: str | Path | None = None, device: str | None = "auto",
         batch_size: int = 32, workers: int | None = None, threads: int | None = None,
         precision: str = "fp32", options: dict | None = None,
         engine: str = "auto") -> BatchEmbedder:
    """Load the installed (or given) model, ready to embed photos."""
    found = with_options(read_model_file(model), options)
    if choose_engine(engine, device, precision) == "onnx":
        from duplicalt.ml.model.onnx_engine import OnnxEmbedder

        try:
            return OnnxEmbedder(found, device, batch_size, workers, threads, precision)
        except ImportError as exc:  # an onnxruntime that does not load (a broken bundle)
            if engine == "onnx":
                raise ValueError(f"--engine onnx needs onnxruntime, which does not load "
                                 f"here ({exc})") from None
    from duplicalt.ml.model.torch_engine import TorchEmbedder

    return TorchEmbedder(found, device, batch_size, workers, threads, precision)
