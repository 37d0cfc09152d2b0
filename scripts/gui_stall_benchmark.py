"""How responsive the window stays while it scans: the longest GUI-thread stall.

A 10 ms QTimer heartbeat runs on the GUI thread; every gap between two beats
beyond the interval is a stall (the event loop could not run). The script opens
the real window, scans FOLDER through it with an empty private cache (every
photo decoded and embedded), then sweeps the threshold slider, and reports the
longest stall per phase.

    .venv/bin/python scripts/gui_stall_benchmark.py [FOLDER] [--model PATH.json]

Without --model it uses the installed model, else a randomly initialised
full-width ResNet-18 at 224 px (the same compute as a trained one).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from duplicalt.ml.training.shared_data import data_root  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
DEFAULT_FOLDER = data_root() / "bench" / "originals"


class Heartbeat:
    """Records the gaps between ticks of a precise 10 ms timer, labelled by phase."""

    def __init__(self, label, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000.0
        self.label = label  # what the window shows, to say where a long stall happened
        self.phase = "start"
        self.stalls: dict[str, list[float]] = {}
        self.worst: list[tuple[float, str, str]] = []
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = max(0.0, now - self.last - self.interval)
        self.stalls.setdefault(self.phase, []).append(gap)
        if gap > 0.03:
            self.worst.append((round(gap * 1000, 1), self.phase, self.label()))
        self.last = now

    def enter(self, phase: str) -> None:
        self._tick()
        self.phase = phase

    def report(self) -> dict:
        out = {}
        for phase, gaps in self.stalls.items():
            gaps = sorted(gaps)
            out[phase] = {"beats": len(gaps), "max_ms": round(gaps[-1] * 1000, 1),
                          "p99_ms": round(gaps[int(0.99 * (len(gaps) - 1))] * 1000, 1),
                          "over_50ms": sum(g > 0.05 for g in gaps),
                          "over_100ms": sum(g > 0.1 for g in gaps)}
        return out


def embedder_factory(model: str | None, work: Path, size: int):
    """Loads in the scan worker, like the app (torch is imported there, not on the GUI thread)."""
    def load():
        import torch

        from duplicalt.ml.model.embed import load as load_embedder
        from duplicalt.ml.model.encoder import ResNet18Encoder
        from duplicalt.ml.model.loading import ModelError, save_model

        try:
            return load_embedder(model, device="cpu", batch_size=8)
        except ModelError:
            torch.manual_seed(0)
            path = save_model(ResNet18Encoder(width=64), work, "random-r18",
                              {"input_size": size, "default_threshold": 0.9})
            return load_embedder(path, device="cpu", batch_size=8)
    return load


def wait(app, condition, timeout: float) -> None:
    """Run the real event loop until ``condition()`` holds (checked every 20 ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.monotonic() + timeout
    loop, check = QEventLoop(), QTimer()
    check.timeout.connect(lambda: loop.quit() if condition() or time.monotonic() > end else None)
    check.start(20)
    loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError("timed out")


def pump(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    wait(app, lambda: time.monotonic() >= end, seconds + 5)


class GcPauses:
    """The longest garbage-collector pause (it holds the GIL, so it stalls every thread)."""

    def __init__(self, phase) -> None:
        import gc

        self.phase = phase  # the benchmark phase now, to say when the pauses happen
        self.start, self.longest = 0.0, {}
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.start = time.perf_counter()
            return
        ms = (time.perf_counter() - self.start) * 1000
        gen = f"{self.phase()[:24]}: gen{info['generation']}"
        self.longest[gen] = round(max(self.longest.get(gen, 0.0), ms), 1)


def similarity_quantiles(vectors) -> dict:
    import numpy as np

    vectors = np.asarray(vectors, np.float32)
    sims = (vectors @ vectors.T)[np.triu_indices(len(vectors), 1)]
    return {q: round(float(np.quantile(sims, q)), 4) for q in (0.5, 0.99, 0.999)} if len(sims) else {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?", default=DEFAULT_FOLDER)
    ap.add_argument("--model", default=None)
    ap.add_argument("--input-size", type=int, default=224)
    ap.add_argument("--threshold", type=float, default=None,
                    help="similarity to group at (default: the model's)")
    ap.add_argument("--no-verify", action="store_true",
                    help="skip the second-stage check of close pairs (as the CLI's --no-verify)")
    ap.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = ap.parse_args()
    from PySide6.QtCore import QSettings

    from duplicalt.gui.app import make_app, warm_up
    from duplicalt.gui.window import RESULTS, MainWindow
    from duplicalt.gui.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="duplicalt-stall-"))
    app = make_app(["duplicalt"])
    settings = Settings(QSettings(str(work / "s.ini"), QSettings.IniFormat))
    if args.threshold:
        settings.set_threshold(args.threshold)
    settings.verify = not args.no_verify
    window = MainWindow(settings,
                        embedder_factory=embedder_factory(args.model, work, args.input_size),
                        cache_path=work / "cache.sqlite")
    window.resize(1400, 900)
    window.show()
    beat = Heartbeat(lambda: window.scan_page.detail.text() if window.job else
                     window.statusBar().currentMessage()[:60])
    gc_pauses = GcPauses(lambda: beat.phase)
    beat.enter("start-up: torch imported in the background (app.warm_up)")
    warm = warm_up()
    wait(app, lambda: not warm.is_alive(), timeout=300)
    pump(app, 0.5)
    beat.enter("scan (cold cache, model loaded in the worker)")
    started = time.perf_counter()
    window.start_scan(args.folder)
    wait(app, lambda: window.stack.currentIndex() == RESULTS, timeout=1800)
    scan_s = time.perf_counter() - started
    groups = len(window.groups)
    beat.enter("review after the scan")
    pump(app, 2.0)
    beat.enter("threshold slider sweep")
    slider = window.top.slider
    for value in range(slider.maximum(), slider.minimum() - 1, -10):
        slider.setValue(value)
        pump(app, 0.05)
    pump(app, 1.0)
    beat.enter("end")
    report = {"folder": str(args.folder), "photos": window.base.stats.files,
              "embedded": window.base.stats.embedded, "scan_seconds": round(scan_s, 1),
              "groups": groups, "verified": not args.no_verify, "cpus": os.cpu_count(),
              "load_average": os.getloadavg(), "platform": app.platformName(),
              "phases": {k: v for k, v in beat.report().items() if k not in ("start", "end")},
              "stalls_over_30ms": sorted(beat.worst, reverse=True)[:15],
              "longest_gc_pause_ms": gc_pauses.longest,
              "pair_similarity_quantiles": similarity_quantiles(window.base.vectors)}
    window.close()
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
