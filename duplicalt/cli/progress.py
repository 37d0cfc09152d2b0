"""A terminal progress bar for the CLI (stderr): count, rate, ETA."""
from __future__ import annotations

import sys
import time
from typing import TextIO

from duplicalt.progress.meter import Progress

_UNITS = {"walk": "files", "hash": "files", "embed": "photos", "verify": "pairs", "group": "steps"}


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class ProgressBar:
    """Redraws one line on a terminal; prints a line every few seconds otherwise."""

    def __init__(self, stream: TextIO | None = None, width: int = 28, interval: float = 0.1,
                 enabled: bool = True):
        stream = stream or sys.stderr
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()
        self.width = width
        self.interval = interval if self.tty else 5.0
        self.last = 0.0
        self.stage = ""

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = p.total and p.done >= p.total
        if p.stage == self.stage and not finished and now - self.last < self.interval:
            return
        if p.stage != self.stage and self.stage and self.tty:
            self.stream.write("\n")
        self.stage, self.last = p.stage, now
        self.stream.write(("\r" if self.tty else "") + self.line(p) + ("" if self.tty else "\n"))
        self.stream.flush()

    def line(self, p: Progress) -> str:
        unit = _UNITS.get(p.stage, "items")
        if p.stage == "group":
            return "group  done"
        if p.total <= 0:
            return f"{p.stage:<6} {p.done} {unit}"
        frac = min(p.done / p.total, 1.0)
        bar = "#" * int(frac * self.width)
        speed = f"{p.rate:6.1f} {unit}/s  ETA {format_eta(p.eta_s)}" if p.rate > 0 else ""
        return f"{p.stage:<6} [{bar:<{self.width}}] {p.done}/{p.total} {frac:4.0%}  {speed}".rstrip()

    def close(self) -> None:
        if self.tty and self.stage:
            self.stream.write("\n")
            self.stream.flush()
