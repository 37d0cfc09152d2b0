"""Regrouping the finished scan as the similarity slider moves (no re-embedding).

One regroup runs at a time, in a worker thread at low priority; while it runs the
slider may move on, and the latest value is done next. Views already computed for
this scan are kept (a few dozen), so sweeping back and forth is instant. A regroup
that verifies new pairs reports progress and can be stopped (``cancel``): its view
then shows the pairs checked so far, is not kept, and asking for it again resumes.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from duplicalt.progress.meter import Progress
from duplicalt.scan.types import ScanResult
from duplicalt.gui.scan.worker import Throttle, regroup_at
from duplicalt.gui.scan.tasks import TaskRunner, lower_priority

KEEP_VIEWS = 48


class Regrouper:
    def __init__(self, runner: TaskRunner, on_view: Callable[[ScanResult], None],
                 on_error: Callable[[BaseException], None],
                 on_progress: Callable[[Progress], None] | None = None,
                 cache_path: Path | None = None) -> None:
        self.runner, self.on_view, self.on_error = runner, on_view, on_error
        self.on_progress, self.cache_path = on_progress, cache_path
        self.base: ScanResult | None = None
        self.widest: ScanResult | None = None  # the view searched lowest: later ones start there
        self.wanted: float | None = None
        self.running = False
        self.stopped = False  # the last view came from a cancelled verification
        self._cancel = threading.Event()
        self._views: OrderedDict[float, ScanResult] = OrderedDict()

    def reset(self, base: ScanResult | None, threshold: float | None = None) -> None:
        """A new scan (grouped at ``threshold``) replaces the old one."""
        self.base, self.widest, self.wanted = base, base, threshold
        self._views.clear()
        if base is not None and threshold is not None:
            self._views[threshold] = base

    def request(self, value: float) -> None:
        """Show the groups at ``value`` (now if known, else when computed)."""
        self.wanted = value
        if self.base is None:
            return
        if value in self._views:
            self._views.move_to_end(value)
            self.on_view(self._views[value])
        elif not self.running:
            self._start(self.base, value)

    def cancel(self) -> None:
        """Stop the running regroup's verification; nothing is started after it."""
        if self.running:
            self.wanted = None
            self._cancel.set()

    def _start(self, base: ScanResult, value: float) -> None:
        self.running = True
        source, cache_path = self.widest, self.cache_path
        progress = Throttle(self._send_progress) if self.on_progress else None
        cancel = self._cancel = threading.Event()

        def work() -> ScanResult:
            lower_priority()
            return regroup_at(source, value, cache_path, progress, cancel)

        self.runner.run(work, lambda view: self._done(base, value, view, cancel.is_set()),
                        self._failed)

    def _send_progress(self, p: Progress) -> None:  # called in the worker
        self.runner.run_on_main(lambda: self.on_progress(p))

    def _done(self, base: ScanResult, value: float, view: ScanResult, stopped: bool) -> None:
        self.running = False
        if base is not self.base:
            return  # a new scan came meanwhile
        self.stopped = stopped
        if not stopped:
            self._views[value] = view
        if _floor(view) < _floor(self.widest):
            self.widest = view  # its checked pairs are reused by the next, lower regroup
        while len(self._views) > KEEP_VIEWS:
            self._views.popitem(last=False)
        if stopped:
            self.on_view(view)
        if self.wanted is not None:
            self.request(self.wanted)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.on_error(exc)


def _floor(view: ScanResult | None) -> float:
    pairs = getattr(view, "pairs", None)
    return pairs.floor if pairs is not None else 1.0
