"""Keeper evidence kept in the scan's cache: read from a file once, then from
the cache while the file is unchanged; never stored for an unreadable file."""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

from duplicalt.photos.cache import Cache
from duplicalt.photos.types import FileEntry
from duplicalt.review import evidence, evidence_store
from tests.sample_photos import make_photo, save


def _entry(path) -> FileEntry:
    st = path.stat()
    return FileEntry(path, path.name, st.st_size, st.st_mtime_ns, "jpeg")


def _same(a: evidence.Evidence, b: evidence.Evidence) -> bool:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


@pytest.fixture
def reads(monkeypatch):
    """Forget what was remembered; count the files read_evidence opens."""
    monkeypatch.setattr(evidence, "_memo", type(evidence._memo)())
    seen = []
    real = evidence.read_evidence
    monkeypatch.setattr(evidence, "read_evidence", lambda p: seen.append(p) or real(p))
    return seen


def test_dumps_loads_gives_the_same_evidence(tmp_path):
    path = save(make_photo(3, (160, 120)), tmp_path / "a.jpg")
    ev = evidence.read_evidence(path)
    back = evidence_store.loads(evidence_store.dumps(ev))
    assert _same(ev, back) and np.array_equal(ev.thumb, back.thumb)
    empty = evidence_store.loads(evidence_store.dumps(evidence.Evidence()))
    assert _same(empty, evidence.Evidence())


@pytest.mark.parametrize("data", [b"", b"EV1\x00", b"XXXX\x02\x00\x00\x00{}",
                                  b"EV1\x00\x02\x00\x00\x00{}", b"EV1\x00\x09\x00\x00\x00not json!"])
def test_a_damaged_record_is_refused(data):
    with pytest.raises(ValueError):
        evidence_store.loads(data)


def test_a_record_with_a_field_of_another_type_is_refused(tmp_path):
    good = evidence_store.dumps(evidence.read_evidence(save(make_photo(2), tmp_path / "a.jpg")))
    assert evidence_store.loads(good).format == "JPEG"
    for field, value in (("pixels", "many"), ("grey", 1), ("pixels", True), ("quality", 9.5),
                         ("frame", 3), ("sharpness", None)):
        head = json.loads(good[8:8 + int.from_bytes(good[4:8], "little")])
        head[field] = value
        raw = json.dumps(head).encode()
        thumb = good[8 + int.from_bytes(good[4:8], "little"):]
        with pytest.raises(ValueError):
            evidence_store.loads(b"EV1\x00" + len(raw).to_bytes(4, "little") + raw + thumb)


def test_evidence_is_read_once_then_comes_from_the_cache(tmp_path, reads):
    paths = [save(make_photo(k, (160, 120)), tmp_path / f"{k}.jpg") for k in range(4)]
    entries = [_entry(p) for p in paths]
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        evidence_store.read_ahead_stored(entries, cache)
        assert sorted(reads) == sorted(paths)
        first = [evidence.evidence(e.path, e.size, e.mtime_ns) for e in entries]
        assert evidence_store.stored_count(cache, entries) == 4
        evidence._memo.clear()
        reads.clear()
        evidence_store.read_ahead_stored(entries, cache)
        again = [evidence.evidence(e.path, e.size, e.mtime_ns) for e in entries]
        assert reads == []  # nothing opened: all from the cache
        assert all(_same(a, b) for a, b in zip(first, again))
        # a file changed since is read again
        save(make_photo(9, (160, 120)), paths[0])
        os.utime(paths[0], ns=(entries[0].mtime_ns + 10**9, entries[0].mtime_ns + 10**9))
        changed = _entry(paths[0])
        evidence._memo.clear()
        evidence_store.read_ahead_stored([changed, *entries[1:]], cache)
        assert reads == [paths[0]]
        assert not _same(evidence.evidence(changed.path, changed.size, changed.mtime_ns),
                         first[0])
    finally:
        cache.close()


def test_an_unreadable_file_is_not_stored(tmp_path, reads):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    good = save(make_photo(1), tmp_path / "good.jpg")
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        evidence_store.read_ahead_stored([_entry(bad), _entry(good)], cache)
        assert evidence_store.stored_count(cache, [_entry(bad)]) == 0
        assert evidence_store.stored_count(cache, [_entry(good)]) == 1
    finally:
        cache.close()


def test_a_cache_that_fails_is_only_a_missed_shortcut(tmp_path, reads):
    import sqlite3

    class Locked:
        def get_features(self, entries, name):
            raise sqlite3.OperationalError("database is locked")

        put_features = get_features

    paths = [save(make_photo(k), tmp_path / f"{k}.jpg") for k in range(3)]
    evidence_store.read_ahead_stored([_entry(p) for p in paths], Locked())
    assert sorted(reads) == sorted(paths)  # read from the files, remembered for the report
    assert all(evidence.remembered(p, p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


def test_evidence_remembered_before_is_stored_too(tmp_path, reads):
    path = save(make_photo(5, (160, 120)), tmp_path / "a.jpg")
    e = _entry(path)
    evidence.evidence(e.path, e.size, e.mtime_ns)  # the keeper of the group on screen
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        evidence_store.read_ahead_stored([e], cache)
        assert reads == [path] and evidence_store.stored_count(cache, [e]) == 1
    finally:
        cache.close()


def test_a_damaged_record_in_the_cache_is_read_again_and_replaced(tmp_path, reads):
    path = save(make_photo(6, (160, 120)), tmp_path / "a.jpg")
    e = _entry(path)
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        cache.put_features([(e, b"EV1\x00garbage")], evidence_store.NAME)
        evidence_store.read_ahead_stored([e], cache)
        assert reads == [path]
        (data,) = cache.get_features([e], evidence_store.NAME).values()
        assert _same(evidence_store.loads(data), evidence.read_evidence(path))
    finally:
        cache.close()
