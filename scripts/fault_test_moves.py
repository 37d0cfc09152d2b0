#!/usr/bin/env python3
"""Fault test: SIGKILL the mover at random moments, recover, account for every photo.

A child process moves the photos still in place to a backup folder (or restores
the backed-up ones); the parent kills it with SIGKILL after a random delay.
After every kill, each photo must exist (by sha256) at its place or in a
backup or both. Then, usually, the parent runs recover() and checks that each
photo is in exactly one place, at its own path if in place, with no temporary
files left; otherwise the next child recovers first (and may be killed while
doing so). Rounds alternate: same-file-system hardlink moves, forced
copy-verify moves, moves to another file system (/dev/shm) when there is one,
and two concurrent applies of one scan into two backups (one of them on the
other file system), each killed at its own random moment; their restores run
concurrently too. The scanned folder's lock lets only one apply work at a
time: the other is refused as busy (counted), and nothing may end up in both.

    python scripts/fault_test_moves.py                 # full: 200 photos, >= 50 kills
    python scripts/fault_test_moves.py --rounds 50     # >= 50 rounds of every mode
    python scripts/fault_test_moves.py --photos 20 --kills 8   # the CI form

Exit status 0 when no photo was ever lost, duplicated or misplaced.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from duplicalt.fileactions import journal as mf  # noqa: E402
from duplicalt.fileactions.move import restore  # noqa: E402
from duplicalt.fileactions.recovery import recover  # noqa: E402

CHILD = """
import os, sys
from pathlib import Path
from duplicalt.fileactions.journal import JournalBusy, is_backup_root
from duplicalt.fileactions.move import Candidate, move_to_backup, restore
op, root, backup, copy = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1"
try:
    if op == "move":
        files = []
        for d, _, names in os.walk(root):
            for n in sorted(n for n in names if not n.startswith(".")):
                st = os.lstat(os.path.join(d, n))
                files.append(Candidate(Path(d, n), st.st_size, st.st_mtime_ns))
        move_to_backup(files, root, backup, force_copy=copy)
    elif is_backup_root(backup):
        restore(backup, force_copy=copy)
except JournalBusy:
    sys.exit(3)
"""
BUSY = 3  # the child's exit status when another process holds the lock
JOURNAL_FILES = {mf.BACKUP_MARKER, mf.JOURNAL_NAME, mf.LOCK_NAME}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_photos(root: Path, n: int, rng: random.Random) -> dict[str, str]:
    """n distinct JPEGs (noise, 8 KB to ~1 MB) in nested folders; {rel: sha256}."""
    try:
        import numpy as np
        from PIL import Image
    except ImportError:
        np = Image = None
    out = {}
    for i in range(n):
        rel = f"{2000 + i % 7}/{'trip ' + str(i % 5)}/IMG_{i:04d}{' é' if i % 13 == 0 else ''}.jpg"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        w, h = rng.choice([(64, 48), (160, 120), (320, 240), (640, 480)])
        if Image is not None:
            pixels = np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path, "JPEG", quality=rng.choice([70, 90, 98]))
        else:
            path.write_bytes(os.urandom(w * h))
        out[rel] = sha(path)
    return out


def files_under(folder: Path) -> dict[Path, str]:
    found = {}
    if folder.is_dir():
        for d, _, names in os.walk(folder):
            for name in names:
                if name not in JOURNAL_FILES:
                    found[Path(d, name)] = sha(Path(d, name))
    return found


def check(root: Path, backups: list[Path], shas: dict[str, str], exact: bool) -> Counter:
    """Violations of the promise: lost (neither place) always; after recovery also
    duplicated (more than one place), misplaced, and leftover temporary files."""
    bad: Counter = Counter()
    in_place = files_under(root)
    stored = {p: s for b in backups for p, s in files_under(b).items()}
    tmp = [p for p in list(in_place) + list(stored) if p.name.startswith(mf.PART_PREFIX)]
    counts = Counter(s for p, s in list(in_place.items()) + list(stored.items())
                     if not p.name.startswith(mf.PART_PREFIX))
    bad["lost"] = sum(1 for s in shas.values() if counts[s] == 0)
    if exact:
        bad["duplicated"] = sum(1 for s in shas.values() if counts[s] > 1)
        bad["misplaced"] = sum(1 for p, s in in_place.items() if p.name.startswith(mf.PART_PREFIX)
                               or shas.get(p.relative_to(root).as_posix()) != s)
        bad["leftover temp files"] = len(tmp)
        bad["unknown files"] = sum(1 for s in counts if s not in set(shas.values()))
    return bad


def start_child(op: str, root: Path, backup: Path, copy: bool) -> subprocess.Popen:
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("DUPLICALT_FAULT_AT", None)
    return subprocess.Popen([sys.executable, "-c", CHILD, op, str(root), str(backup),
                             "1" if copy else "0"], env=env)


def wait_children(procs: list[subprocess.Popen], delays: list[float | None]) -> list[str]:
    """Wait for each child, SIGKILLing it at its own delay (None: let it finish);
    "killed", "busy" or "done" for each."""
    start, out = time.monotonic(), [""] * len(procs)
    while not all(out):
        for k, proc in enumerate(procs):
            if out[k]:
                continue
            code = proc.poll()
            if code is None and delays[k] is not None and time.monotonic() - start >= delays[k]:
                proc.kill()  # SIGKILL
                proc.wait()
                out[k] = "killed"
            elif code is not None:
                if code not in (0, BUSY):
                    raise SystemExit(f"child failed with exit status {code}")
                out[k] = "busy" if code == BUSY else "done"
            elif time.monotonic() - start > 600:
                raise SystemExit("child hung")
        time.sleep(0.002)
    return out


def run_child(op: str, root: Path, backup: Path, copy: bool, delay: float | None) -> tuple:
    """(killed, seconds). delay None: let it finish."""
    start = time.monotonic()
    (state,) = wait_children([start_child(op, root, backup, copy)], [delay])
    if state == "busy":
        raise SystemExit(f"child {op} found the folder busy with no other process running")
    return state == "killed", time.monotonic() - start


def pending(backups: list[Path]) -> int:
    return sum(1 for b in backups for bt in mf.list_backups(b) for e in bt.entries
               if e.state in mf.PENDING)


class Tally:
    def __init__(self) -> None:
        self.c: Counter = Counter()
        self.bad: Counter = Counter()

    def after_kill(self, op: str, root: Path, backups: list[Path], shas: dict) -> None:
        self.c[f"kills during {op}"] += 1
        self.c["journal entries in progress at a kill"] += pending(backups)
        in_place = {s for s in files_under(root).values()}
        stored = {s for b in backups for p, s in files_under(b).items()
                  if not p.name.startswith(mf.PART_PREFIX)}
        self.c["photos in both places at a kill"] += len(in_place & stored)
        self.c["temporary copies found at a kill"] += sum(
            1 for b in backups + [root] for p in files_under(b)
            if p.name.startswith(mf.PART_PREFIX))
        self.bad.update(check(root, backups, shas, exact=False))

    def recovered(self, backup: Path | list[Path], root: Path, backups: list[Path],
                  shas: dict) -> None:
        """Recover one backup folder (or several: all of them before the check)."""
        for b in backup if isinstance(backup, list) else [backup]:
            report = recover(b)
            self.c["recoveries by the parent"] += 1
            for r in report.settled + report.problems:
                self.c[f"recovery: {r.action}"] += 1
            self.bad["recovery problems"] += len(report.problems)
        self.bad.update(check(root, backups, shas, exact=True))


def concurrent_phase(op: str, mode: tuple, root: Path, backups: list[Path], shas: dict,
                     t: Tally, rng: random.Random, est: dict, kills_left) -> None:
    """Two applies of one scan into two backups at once (or both backups' restores),
    each killed at its own moment, until a try ends with neither killed."""
    name, pair = mode[0], mode[1]
    for attempt in range(est["per_phase"] + 2):
        last = attempt >= est["per_phase"] or kills_left() <= 0
        work = est[op] * 1.5
        delays = [None if last or rng.random() < 0.25 else
                  est["start"] * rng.uniform(0.6, 1.0) + rng.uniform(0, work) for _ in pair]
        procs = []
        for k, (backup, copy) in enumerate(pair):
            if k:
                time.sleep(rng.uniform(0, est["start"] * 0.3))  # a slightly later start
            procs.append(start_child(op, root, backup, copy))
        states = wait_children(procs, delays)
        t.c[f"concurrent {op}: refused as busy"] += states.count("busy")
        if "killed" not in states:
            t.bad.update(check(root, backups, shas, exact=True))
            if op == "move" and files_under(root):
                continue  # the busy one gave up before the other finished: try again
            t.c[f"{op} runs completed ({name})"] += 1
            return
        t.c[f"kills during {op}"] += states.count("killed") - 1  # after_kill adds one
        t.after_kill(op, root, backups, shas)
        if rng.random() < 0.7:
            t.recovered([b for b, _ in pair if mf.is_backup_root(b)], root, backups, shas)
    raise SystemExit(f"concurrent {op} did not complete")


def phase(op: str, mode: tuple, root: Path, backups: list[Path], shas: dict, t: Tally,
          rng: random.Random, est: dict, kills_left) -> None:
    """Repeat killed children until one completes the phase (or kills run out)."""
    if mode[0].startswith("two concurrent"):
        return concurrent_phase(op, mode, root, backups, shas, t, rng, est, kills_left)
    name, backup, copy = mode
    for attempt in range(est["per_phase"] + 1):
        last = attempt == est["per_phase"] or kills_left() <= 0
        remaining = len(files_under(root)) if op == "move" else len(shas) - len(files_under(root))
        work = est[op] * max(remaining, 1) / len(shas)
        delay = est["start"] * rng.uniform(0.6, 1.0) + rng.uniform(0, work)
        killed, _ = run_child(op, root, backup, copy, None if last else delay)
        if not killed:
            t.c[f"{op} runs completed ({name})"] += 1
            t.bad.update(check(root, backups, shas, exact=True))
            return
        t.after_kill(op, root, backups, shas)
        if rng.random() < 0.7:
            t.recovered(backup, root, backups, shas)


def calibrate(root: Path, backup: Path, est: dict) -> None:
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "import duplicalt.fileactions.move"], check=True,
                   env=dict(os.environ, PYTHONPATH=str(REPO)))
    est["start"] = time.monotonic() - start
    for op in ("move", "restore"):
        _, seconds = run_child(op, root, backup, True, None)
        est[op] = max(seconds - est["start"], 0.05)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--per-phase", type=int, default=4,
                    help="kills per move or restore phase before one may finish")
    ap.add_argument("--rounds", type=int, default=0,
                    help="run at least this many move+restore rounds (besides --kills)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, help="default: a new temporary folder (removed)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="duplicalt-fault-", dir=args.workdir))
    shm = Path("/dev/shm")
    other_fs = (shm / work.name) if shm.is_dir() and os.stat(shm).st_dev != os.stat(work).st_dev \
        else None
    root, same = work / "photos", work / "backup"
    backups = [same] + ([other_fs] if other_fs else [])
    second = other_fs or work / "backup2"
    if not other_fs:
        backups.append(second)
    modes = [("hardlink", same, False), ("copy-verify", same, True)] + (
        [("other file system", other_fs, False)] if other_fs else []) + [
        ("two concurrent applies", ((same, False), (second, not other_fs)), None)]
    started = time.monotonic()
    try:
        shas = make_photos(root, args.photos, rng)
        est: dict = {"per_phase": args.per_phase}
        calibrate(root, same, est)
        t = run_rounds(args.kills, modes, root, backups, shas, rng, est, args.rounds)
        report(args, work, other_fs, shas, est, t, time.monotonic() - started)
        return 0 if not +t.bad else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            if other_fs:
                shutil.rmtree(other_fs, ignore_errors=True)


def run_rounds(target: int, modes, root, backups, shas, rng, est, min_rounds: int = 0) -> Tally:
    """Move-all / restore-all rounds, cycling the modes, until ``target`` kills
    and at least ``min_rounds`` rounds."""
    t = Tally()
    kills = lambda: target - sum(v for k, v in t.c.items() if k.startswith("kills"))  # noqa: E731
    rounds = 0
    while kills() > 0 or rounds < min_rounds:
        mode = modes[rounds % len(modes)]
        phase("move", mode, root, backups, shas, t, rng, est, kills)
        phase("restore", mode, root, backups, shas, t, rng, est, kills)
        rounds += 1
        t.c[f"rounds: {mode[0]}"] += 1
    ours = [b for b in backups if mf.is_backup_root(b)]  # the end: settled and put back
    t.recovered(ours, root, backups, shas)
    for b in ours:
        restore(b)
    t.bad["not back in place at the end"] = sum(
        1 for rel, s in shas.items() if not (root / rel).is_file() or sha(root / rel) != s)
    return t


def report(args, work, other_fs, shas, est, t: Tally, seconds: float) -> None:
    size = sum((work / "photos" / rel).stat().st_size for rel in shas
               if (work / "photos" / rel).is_file())
    print(f"photos: {len(shas)} ({size / 1e6:.1f} MB), seed {args.seed}, work folder {work}")
    print(f"other file system: {other_fs or 'none (copy-verify forced instead)'}")
    print(f"calibration: start {est['start']:.2f}s, move all {est['move']:.2f}s, "
          f"restore all {est['restore']:.2f}s")
    records = Counter(r["t"] for b in (work / "backup", work / "backup2", other_fs)
                      if b and mf.is_backup_root(b) for r in mf.read_records(b))
    print("journal records: " + ", ".join(f"{k} {records[k]}" for k in
                                          ("batch", "move", "moved", "unmoved", "restore",
                                           "restored", "unrestored", "end")))
    for key in sorted(t.c):
        print(f"{key}: {t.c[key]}")
    print(f"SIGKILLs in total: {sum(v for k, v in t.c.items() if k.startswith('kills'))}")
    print(f"rounds in total: {sum(v for k, v in t.c.items() if k.startswith('rounds'))}")
    for key in ("lost", "duplicated", "misplaced", "leftover temp files", "unknown files",
                "recovery problems", "not back in place at the end"):
        print(f"violations - {key}: {t.bad[key]}")
    print(f"elapsed: {seconds:.1f}s")
    print("RESULT: " + ("PASS: every photo accounted for by sha256" if not +t.bad else "FAIL"))


if __name__ == "__main__":
    sys.exit(main())
