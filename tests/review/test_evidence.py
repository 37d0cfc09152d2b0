"""Keeper evidence read ahead in threads: each file read once, the answers unchanged."""
from __future__ import annotations

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
