"""Small training helpers: the learning-rate schedule, deadlines, the JSON-lines log."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path


def lr_at(step: int, total: int, peak: float, warmup: float) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak."""
    w = max(1, int(total * warmup))
    if step < w:
        return peak * (step + 1) / w
    t = (step - w) / max(1, total - w)
    return peak * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t))))


def parse_deadline(text: str | None) -> float | None:
    if not text:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    if len(text) <= 5:
        hh, mm = (int(v) for v in text.split(":"))
        when = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        when += dt.timedelta(days=1) if when < now - dt.timedelta(hours=12) else dt.timedelta()
    else:
        when = dt.datetime.fromisoformat(text)
        when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def jsonable(d: dict) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


class JsonLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, record: dict) -> None:
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **record}
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)
