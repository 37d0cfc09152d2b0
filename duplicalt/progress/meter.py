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



MIN_ELAPSED = 0.1  # seconds a stage must have run for its rate to mean something


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
        elapsed = time.monotonic() - self.start
        # a rate over less than a tenth of a second is noise (38,219 cached hashes
        # in 8 us read as 4.9e9 files/s): unknown (0) until there is a real one
        rate = self.done / elapsed if elapsed >= MIN_ELAPSED else 0.0
        left = self.total - self.done
        eta = 0.0 if left <= 0 else (left / rate if rate > 0 else None)
        self.progress(Progress(self.stage, self.done, self.total, rate, eta, message))
