#!/usr/bin/env python
"""Speed benchmark: cold/warm/1%-changed scans of camera-sized JPEGs beside
imagehash pHash, a warm re-scan of many files, and grouping 100k/1M vectors.

Same as `duplicalt bench`; see duplicalt/bench.py for the options.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duplicalt import bench  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="benchmark_speed.py", description=bench.__doc__)
    bench.add_arguments(parser)
    raise SystemExit(bench.main(parser.parse_args()))
