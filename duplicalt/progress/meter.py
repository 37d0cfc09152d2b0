"""Progress reports of a long job (scan, verification, file actions) and the rate/ETA meter."""
from __future__ import annotations

import time

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Progress:
    stage: str  # "walk", "hash", "embed", "group"
    done: int
    total: int
    rate: float = 0.0  # items per second in this stage
    eta_s: float | None = None
    message: str = ""


ProgressFn = Callable[[Progress], None]



class Meter:
    """Rate and ETA for one stage, reported through the progress callback."""

    def __init__(self, stage: str, total: int, progress: ProgressFn | None) -> None:
        self.stage, self.total, self.progress = stage, total, progress
        self.start = time.monotonic()
        self.done = 0

    def add(self, n: int, message: str = "") -> None:
        self.done += n
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        self.progress(Progress(self.stage, self.done, self.total, rate, eta, message))
