"""Measure the standalone app: bundle size and start-up time to a visible window.

Usage (Linux, needs Xvfb, xdotool, xwd and ImageMagick's convert):
    python3 packaging/measure_startup.py [dist/duplicalt/duplicalt] [--repeat 3] [--shot docs/x.png]

Each run starts a fresh Xvfb, then the app with an empty environment (``env -i``
with PATH=/usr/bin:/bin and DISPLAY only: no venv, no system Python involved), and
polls every 10 ms until X reports a mapped window titled DuplicAlt. "Cold" runs
first evict the bundle's own files from the page cache (posix_fadvise DONTNEED,
only those files), so they are read from disk as on a first start after boot;
"warm" runs follow at once. The last run can save a screenshot of the window.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def evict(folder: Path) -> None:
    """Drop the bundle's files (only these) from the page cache."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def start_xvfb(display: str) -> subprocess.Popen:
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode == 0:
            return xvfb
        time.sleep(0.05)
    xvfb.kill()
    raise SystemExit(f"Xvfb did not start on {display}")


def time_to_window(program: Path, display: str, shot: Path | None, folder: Path | None = None,
                   settle: float = 3.0) -> float:
    xvfb = start_xvfb(display)
    env = {"PATH": "/usr/bin:/bin", "DISPLAY": display, "HOME": os.environ.get("HOME", "/tmp")}
    try:
        started = time.perf_counter()
        command = ["env", "-i", *[f"{k}={v}" for k, v in env.items()], str(program)]
        app = subprocess.Popen(command + ([str(folder)] if folder else []),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^DuplicAlt"],
                                   env={**os.environ, "DISPLAY": display}, capture_output=True)
            if found.returncode == 0 and found.stdout.strip():
                elapsed = time.perf_counter() - started
                break
            if app.poll() is not None:
                raise SystemExit(f"the app exited ({app.returncode}): {app.stderr.read().decode()[-2000:]}")
            if time.perf_counter() - started > 120:
                raise SystemExit("no window within 120 s")
            time.sleep(0.01)
        if shot is not None:
            time.sleep(settle)  # let it paint (and scan the folder, if one was given)
            shot.parent.mkdir(parents=True, exist_ok=True)
            window = found.stdout.split()[-1].decode()
            xwd = subprocess.run(["xwd", "-id", window, "-silent", "-display", display],
                                 capture_output=True, check=True).stdout
            subprocess.run(["/usr/bin/convert", "xwd:-", str(shot)], input=xwd, check=True)
        app.terminate()
        app.wait(10)
        return elapsed
    finally:
        xvfb.kill()
        xvfb.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", type=Path, nargs="?", default=Path("dist/duplicalt/duplicalt"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shot", type=Path, default=None, help="save a screenshot (PNG) here")
    parser.add_argument("--display", default=":57")
    parser.add_argument("--folder", type=Path, default=None,
                        help="open the window on this folder (it scans) for the screenshot")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before the screenshot")
    args = parser.parse_args()
    program = args.program.resolve()
    size, count = folder_size(program.parent)
    print(f"bundle {program.parent}: {size / 1e6:.0f} MB in {count} files")
    for kind in ("cold", "warm"):
        times = []
        for i in range(args.repeat):
            if kind == "cold":
                evict(program.parent)
            last = kind == "warm" and i == args.repeat - 1
            times.append(time_to_window(program, args.display, args.shot if last else None,
                                        args.folder if last else None, args.settle))
        print(f"{kind} start to a visible window: " + ", ".join(f"{t:.2f}" for t in times)
              + f" s (median {sorted(times)[len(times) // 2]:.2f} s)")
    if args.shot:
        print(f"screenshot: {args.shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
