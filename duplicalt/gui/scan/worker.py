"""The scan in a worker thread: model loading, the core pipeline, and the wide
neighbour search that lets the threshold slider regroup without re-embedding.

Progress is throttled here (at most ~20 updates a second) and handed to the GUI
thread by the TaskRunner; nothing in this module touches a widget.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from duplicalt.photos.cache import Cache, default_cache_path
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import needs_verification, regroup
from duplicalt.scan.types import Embedder, ScanResult
from duplicalt.ml.model.thresholds import calibrated_threshold
from duplicalt.progress.meter import Progress
from duplicalt.gui.scan.tasks import TaskRunner, lower_priority

GUI_BATCH = 8  # small batches: Cancel is honoured between batches, well within a second
MIN_INTERVAL = 0.05  # seconds between progress updates sent to the window
SLIDER_FLOOR = 0.70  # the slider's lowest similarity (lower still for a model calibrated low)


def model_threshold(embedder: Embedder, verified: bool = True) -> float:
    """The model's calibrated threshold (with or without the second-stage check)."""
    return calibrated_threshold(getattr(embedder, "meta", None), verified)


def make_verifier():
    """The second-stage check of close pairs, as the CLI uses it (None without OpenCV)."""
    try:
        from duplicalt.ml.matcher import OrbMatcher
    except ImportError:
        return None
    return OrbMatcher()


def floor_for(threshold: float) -> float:
    return round(min(SLIDER_FLOOR, threshold - 0.10), 3)


def load_default_embedder(model: str | None = None) -> Embedder:
    """The installed model (raises duplicalt.ml.model.loading.ModelError when there is none)."""
    from duplicalt.ml.model.embed import load

    return load(model or None, device="auto", batch_size=GUI_BATCH)


class Throttle:
    """Pass progress on at most every MIN_INTERVAL s, but always a stage's first and last."""

    def __init__(self, send: Callable[[Progress], None]) -> None:
        self.send = send
        self.last = 0.0
        self.stage = ""

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        edge = p.stage != self.stage or (p.total and p.done >= p.total)
        if edge or now - self.last >= MIN_INTERVAL:
            self.stage, self.last = p.stage, now
            self.send(p)


@dataclass
class ScanRequest:
    folder: Path | tuple[Path, ...]  # one folder or several
    threshold: float | None  # None: the remembered slider value, else the model's calibrated one
    exclude: tuple[Path, ...] = ()
    cache_path: Path | None = None
    verify: bool = True  # confirm close pairs by local-feature matching, like the CLI
    reference: tuple[Path, ...] = ()  # scanned, never offered for removal
    remembered: dict = field(default_factory=dict)  # Settings.remembered()
    not_duplicates: frozenset = frozenset()


def start_threshold(req: ScanRequest, embedder: Embedder, verified: bool) -> float:
    """The threshold a scan starts at: asked for, else the slider value remembered for
    this kind of scan (verified or not) and this model, else the model's calibration."""
    if req.threshold:
        return req.threshold
    value, model = req.remembered.get(verified, (None, ""))
    if value and (not model or model == getattr(embedder, "model_id", "")):
        return value
    return model_threshold(embedder, verified)


@dataclass(frozen=True)
class ScanOutcome:
    result: ScanResult  # grouped at ``threshold``; pairs searched down to ``floor``
    threshold: float
    floor: float
    model_threshold: float
    verified: bool = True  # pairs confirmed by the matcher (the slider's value is kept per kind)


class ScanJob:
    """One scan. ``cancel()`` stops it after the current batch (the cache keeps the work)."""

    def __init__(self, runner: TaskRunner, get_embedder: Callable[[], Embedder]) -> None:
        self.runner = runner
        self.get_embedder = get_embedder
        self.cancel_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, req: ScanRequest, on_progress: Callable[[Progress], None],
              on_done: Callable[[ScanOutcome], None],
              on_error: Callable[[BaseException], None]) -> None:
        def send(p: Progress) -> None:
            self.runner.run_on_main(lambda: on_progress(p))

        self.thread = self.runner.run(lambda: self._work(req, Throttle(send)), on_done, on_error,
                                      name="duplicalt-scan")

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def _work(self, req: ScanRequest, progress: Throttle) -> ScanOutcome:
        lower_priority()
        progress(Progress("model", 0, 0, message="Loading the model"))
        embedder = self.get_embedder()
        verifier = make_verifier() if req.verify else None
        default = model_threshold(embedder, verifier is not None)
        threshold = start_threshold(req, embedder, verifier is not None)
        floor = min(floor_for(default), floor_for(threshold))
        cache = Cache(req.cache_path or default_cache_path())
        try:
            result = scan(req.folder, embedder, threshold, cache=cache, progress=progress,
                          cancel=self.cancel_event, exclude=req.exclude, verifier=verifier,
                          reference=req.reference, not_duplicates=req.not_duplicates)
            if verifier is None:  # verified pairs are checked when the slider gets there
                result = widen(result, floor, cache)
        finally:
            cache.close()
        return ScanOutcome(result, threshold, floor, default, verifier is not None)


def widen(result: ScanResult, floor: float, cache: Cache | None = None) -> ScanResult:
    """Search neighbour pairs down to ``floor`` once, keeping the groups at the scan's
    threshold: every slider position at or above ``floor`` then regroups by filtering."""
    pairs = result.pairs
    if len(result.vectors) < 2 or (pairs is not None and pairs.floor <= floor):
        return result
    return replace(result, pairs=regroup(result, floor, cache=cache).pairs)


def regroup_at(result: ScanResult, threshold: float, cache_path: Path | None = None,
               progress=None, cancel: threading.Event | None = None) -> ScanResult:
    """The finished scan grouped at another threshold (run in a worker). A verified
    scan checks the pairs it has not checked yet (new ones below the pairs already
    searched, or those a cancelled regroup left), cached on disk; ``cancel`` stops
    that between batches."""
    if not needs_verification(result, threshold):
        return regroup(result, threshold)
    cache = Cache(cache_path or default_cache_path())
    try:
        return regroup(result, threshold, cache=cache, progress=progress, cancel=cancel)
    finally:
        cache.close()
