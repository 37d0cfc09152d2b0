"""Keeper evidence read ahead in threads: each file read once, the answers unchanged."""
from __future__ import annotations

import numpy as np
from PIL import Image

from duplicalt.review import evidence
from tests.sample_photos import make_photo, save


def test_read_ahead_reads_each_file_once_and_gives_the_same_evidence(tmp_path, monkeypatch):
    paths = [save(make_photo(k, (160, 120)), tmp_path / f"{k}.jpg") for k in range(6)]
    files = [(p, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
    one_by_one = [evidence.read_evidence(p) for p in paths]
    monkeypatch.setattr(evidence, "_memo", type(evidence._memo)())
    reads = []
    real = evidence.read_evidence
    monkeypatch.setattr(evidence, "read_evidence", lambda p: reads.append(p) or real(p))
    evidence.read_ahead(files + files[:2], workers=3)  # a file listed twice is read once
    assert sorted(reads) == sorted(paths)
    got = [evidence.evidence(*f) for f in files]
    assert len(reads) == len(paths)  # remembered: nothing read again
    assert [(g.format, g.sharpness, g.frame) for g in got] == \
        [(e.format, e.sharpness, e.frame) for e in one_by_one]


def _quality_by_loop(img) -> int | None:
    """The IJG quality search as first written: one quality at a time."""
    table = np.sort(np.asarray(img.quantization[0], np.float64))
    base = np.sort(evidence._LUMA)
    best, err = None, None
    for q in range(1, 101):
        scale = 5000 / q if q < 50 else 200 - 2 * q
        e = float(np.abs(np.clip(np.floor((base * scale + 50) / 100), 1, 255) - table).sum())
        if err is None or e < err:
            best, err = q, e
    return best


def test_jpeg_quality_matches_the_quality_it_was_saved_at_and_the_plain_search(tmp_path):
    for q in (10, 35, 50, 75, 90, 100):
        path = save(make_photo(q, (64, 48)), tmp_path / f"q{q}.jpg", quality=q)
        with Image.open(path) as img:
            assert evidence.jpeg_quality(img) == _quality_by_loop(img) == q


def _depth_line_by_line(lines: np.ndarray) -> int:
    depth = 0
    for line in lines:
        median = np.median(line, axis=0)
        if float((np.abs(line - median).max(axis=1) <= evidence.FLAT_TOL).mean()) < \
                evidence.FLAT_SHARE:
            break
        depth += 1
    return depth


def test_flat_depth_in_chunks_is_the_line_by_line_depth():
    rng = np.random.default_rng(0)
    for depth in (0, 1, 2, 3, 5, 8, 13, 40, 64):
        rgb = rng.uniform(0, 255, (64, 50, 3)).astype(np.float32)
        rgb[:depth] = 200.0  # an even bar ``depth`` lines deep
        if depth < 64:
            rgb[depth:depth + 1, :10] = 200.0  # the next line only partly even: not a bar
        assert evidence._flat_depth(rgb) == _depth_line_by_line(rgb) == depth
