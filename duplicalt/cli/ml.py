"""`duplicalt train`, `evaluate` (accuracy) and `bench` (speed): thin wrappers over duplicalt.ml.training and duplicalt.evaluation.

Their options are parsed by the ml modules themselves, imported only when the
command runs, so `duplicalt --help` stays instant (no torch import).
"""
from __future__ import annotations

import argparse
import importlib


def _forwarding(sub, name: str, module: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, add_help=False)
    p.set_defaults(func=lambda args: _run(module, name, help_text, args.extra), forward=True)


def _run(module: str, name: str, help_text: str, extra: list[str]) -> int:
    if name == "evaluate" and extra[:1] == ["--keeper"]:  # is the suggested keeper the original?
        return int(importlib.import_module("duplicalt.evaluation.keeper").run(extra[1:]) or 0)
    mod = importlib.import_module(module)
    parser = argparse.ArgumentParser(prog=f"duplicalt {name}", description=help_text)
    mod.add_arguments(parser)
    return int(mod.main(parser.parse_args(extra)) or 0)


def add_train_parser(sub) -> None:
    _forwarding(sub, "train", "duplicalt.ml.training.trainer",
                "train the SimCLR ResNet-18 encoder (self-supervised) on folders or tar shards")


def add_evaluate_parser(sub) -> None:
    _forwarding(sub, "evaluate", "duplicalt.evaluation.accuracy.run",
                "score the encoder and hash baselines on a synthetic duplicate benchmark "
                "(`evaluate --keeper`: is the suggested keeper the original?)")


def add_bench_parser(sub) -> None:
    _forwarding(sub, "bench", "duplicalt.evaluation.speed.run",
                "time cold/warm scans of camera-sized photos beside imagehash; grouping at scale")
    _forwarding(sub, "scale", "duplicalt.evaluation.scale.run",
                "scan a 45,000-photo library (training shards + planted copies) cold: "
                "time per stage, memory, planted recall, look-alikes grouped")
