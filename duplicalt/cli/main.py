"""Command line: `duplicalt scan FOLDER`, `apply`, `restore`, `train`, `evaluate`.

With no arguments it opens the window. Heavy imports (torch, Qt) happen only
inside the command that needs them, so `--help` is instant.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from duplicalt import __version__
from duplicalt.photos.cache import Cache, default_cache_path
from duplicalt.photos.walk import folder_problem
from duplicalt.cli.progress import ProgressBar
from duplicalt.ml.model.thresholds import calibrated_threshold



def _threshold(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("the threshold is a cosine similarity in (0, 1]")
    return value


def add_scan_parser(sub) -> None:
    p = sub.add_parser("scan", help="find duplicate and near-duplicate photos in folders",
                       description="Scan each FOLDER recursively and print the duplicate groups "
                       "across all of them.")
    p.add_argument("folder", type=Path, nargs="+")
    p.add_argument("--reference", type=Path, action="append", default=[],
                   help="also scan this folder, but never suggest removing its photos (repeatable)")
    p.add_argument("--ignore-not-duplicates", action="store_true",
                   help="group pairs the window was told are not duplicates, too")
    p.add_argument("--threshold", type=_threshold, default=None,
                   help="cosine similarity for near-duplicates (default: the model's calibrated value)")
    p.add_argument("--device", default="auto", help="auto (CUDA, else MPS, else CPU), cpu, cuda, mps")
    p.add_argument("--engine", default="auto", choices=["auto", "onnx", "torch"],
                   help="what runs the network: auto (ONNX Runtime on a CPU, torch on a GPU)")
    p.add_argument("--model", default=None, help="model sidecar .json (default: the shipped duplicalt-resnet18 inside the package)")
    p.add_argument("--json", type=Path, dest="json_out", help="write the groups as JSON here")
    p.add_argument("--csv", type=Path, dest="csv_out", help="write one row per grouped file here")
    p.add_argument("--cache", type=Path, default=None, help=f"cache file (default: {default_cache_path()})")
    p.add_argument("--no-cache", action="store_true", help="keep the cache in memory only")
    p.add_argument("--exclude", type=Path, action="append", default=[], help="skip this folder (repeatable)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--workers", type=int, default=None, help="decode threads")
    p.add_argument("--no-verify", action="store_true",
                   help="group by embedding similarity alone (no local-feature check of pairs)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_scan)


def add_apart_parser(sub) -> None:
    p = sub.add_parser("not-duplicates", help="list (or forget) pairs marked not a duplicate",
                       description="Pairs of photos said not to be duplicates (in the window), "
                       "by content: they are never grouped by `scan` or the window.")
    p.add_argument("--forget", type=int, metavar="N", help="put pair N back (may be grouped again)")
    p.add_argument("--file", type=Path, default=None, help="the list (default: in the user's data folder)")
    p.set_defaults(func=cmd_apart)


def cmd_apart(args) -> int:
    from duplicalt.review.not_duplicates import NotDuplicates

    store = NotDuplicates(args.file)
    if store.problem:
        print(f"note: {store.problem}", file=sys.stderr)
    items = store.listed()
    if args.forget is not None:
        if not 1 <= args.forget <= len(items):
            return _fail(f"there is no pair {args.forget} (the list has {len(items)})")
        item = items[args.forget - 1]
        store.remove(item.a, item.b)
        print(f"Put back: {' and '.join(n or '?' for n in item.names)}")
        return 0
    if not items:
        print("No pairs are marked not a duplicate.")
    for k, item in enumerate(items, 1):
        print(f"{k:>3}. {' != '.join(n or '?' for n in item.names)}  ({item.a[:12]} {item.b[:12]})")
    return 0


class _Interrupt:
    """First Ctrl-C asks the scan to stop after the current batch; a second aborts."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.previous = None

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self.event

    def _handle(self, signum, frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\nStopping after the current batch (finished work stays cached); "
              "Ctrl-C again to abort.", file=sys.stderr)

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _not_duplicates(args) -> frozenset:
    """The pairs the user said are not duplicates (empty with --ignore-not-duplicates)."""
    if args.ignore_not_duplicates:
        return frozenset()
    from duplicalt.review.not_duplicates import NotDuplicates

    store = NotDuplicates()
    if store.problem:
        print(f"note: {store.problem}", file=sys.stderr)
    return store.pairs()


def _write_reports(result, args, store=None) -> int:
    from duplicalt.review import report

    for writer, target in ((report.write_json, args.json_out), (report.write_csv, args.csv_out)):
        if target:
            try:
                writer(result, target, store)
            except OSError as exc:
                return _fail(f"cannot write {target}: {exc.strerror or exc}")
            print(f"Wrote {target}")
    return 0


def cmd_scan(args) -> int:
    from duplicalt.review import report
    from duplicalt.scan.pipeline import scan
    from duplicalt.ml.model.embed import load
    from duplicalt.ml.model.model_file import ModelError

    for folder in [*args.folder, *args.reference]:
        problem = folder_problem(folder)
        if problem:
            return _fail(problem)
    try:
        embedder = load(args.model, args.device, args.batch_size, args.workers,
                        engine=args.engine)
    except (ModelError, ValueError) as exc:
        return _fail(str(exc))
    verifier = None
    if not args.no_verify:
        from duplicalt.ml.matcher import OrbMatcher

        verifier = OrbMatcher()
    threshold = args.threshold or calibrated_threshold(embedder.meta, not args.no_verify)
    cache = Cache(None if args.no_cache else (args.cache or default_cache_path()))
    if cache.rebuilt_reason:
        print(f"note: {cache.rebuilt_reason}", file=sys.stderr)
    bar, apart = ProgressBar(enabled=not args.quiet), _not_duplicates(args)
    print(f"Scanning {', '.join(str(f) for f in args.folder)} on {embedder.device.type} "
          f"({embedder.engine}) "
          f"(threshold {threshold:.3f})", file=sys.stderr)
    try:  # the cache stays open for the report: the keepers' evidence is kept in it
        try:
            with _Interrupt() as cancel:
                result = scan(args.folder, embedder, threshold, cache=cache, progress=bar,
                              cancel=cancel, exclude=args.exclude, verifier=verifier,
                              reference=args.reference, not_duplicates=apart)
        finally:
            bar.close()
        print(report.summary(result, cache))
        return _write_reports(result, args, cache) or (130 if result.stats.cancelled else 0)
    finally:
        cache.close()


def _fail(message: str, code: int = 2) -> int:
    print(f"duplicalt: error: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duplicalt", description=(
        "Find duplicate and near-duplicate photos. Without a command, opens the window."))
    parser.add_argument("--version", action="version", version=f"duplicalt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_scan_parser(sub)
    add_apart_parser(sub)
    for module, names in _PLUGINS:
        try:
            mod = __import__(module, fromlist=names)
        except ModuleNotFoundError as exc:  # a command not built into this install
            if exc.name != module:
                raise
            continue
        for name in names:
            getattr(mod, name)(sub)
    return parser


def command_names() -> set[str]:
    """The CLI's commands, as its parser knows them."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


# Subcommands that live beside the scan (each adds its own parser).
_PLUGINS = [
    ("duplicalt.cli.actions", ["add_apply_parser", "add_restore_parser"]),
    ("duplicalt.cli.ml", ["add_train_parser", "add_evaluate_parser", "add_bench_parser"]),
]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "forward", False):
        args.extra = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:  # `duplicalt` alone opens the window (duplicalt.__main__)
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:  # `duplicalt scan ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nAborted; finished work stays cached.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
