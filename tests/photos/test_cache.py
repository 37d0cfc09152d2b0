import os
from pathlib import Path

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.photos.types import FileEntry, PhotoInfo


def entry(tmp_path: Path, name: str, size: int = 10, mtime: int = 1) -> FileEntry:
    return FileEntry(tmp_path / name, name, size, mtime, "jpeg")


def test_hit_roundtrip_float16(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    e = entry(tmp_path, "a.jpg")
    vec = np.linspace(-1, 1, 8).astype(np.float32)
    c.put_embeddings([(e, vec, PhotoInfo(4, 3, "JPEG", "2020-01-01 00:00:00"), None)], "m1")
    c.close()
    hits = Cache(tmp_path / "c.sqlite").get_embeddings([e], "m1")
    got, info, err = hits[0]
    assert got.dtype == np.float16 and np.array_equal(got, vec.astype(np.float16))
    assert info == PhotoInfo(4, 3, "JPEG", "2020-01-01 00:00:00") and err is None


def test_size_or_mtime_change_misses(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    e = entry(tmp_path, "a.jpg")
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert 0 in c.get_embeddings([e], "m1")
    assert c.get_embeddings([entry(tmp_path, "a.jpg", size=11)], "m1") == {}
    assert c.get_embeddings([entry(tmp_path, "a.jpg", mtime=2)], "m1") == {}


def test_model_change_misses(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    e = entry(tmp_path, "a.jpg")
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert c.get_embeddings([e], "m2") == {}


def test_errors_are_cached(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    e = entry(tmp_path, "bad.jpg")
    c.put_embeddings([(e, None, None, "truncated file")], "m1")
    assert c.get_embeddings([e], "m1") == {0: (None, None, "truncated file")}


def test_corrupt_file_is_rebuilt(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    c = Cache(path)
    assert c.rebuilt_reason and "rebuilt" in c.rebuilt_reason
    e = entry(tmp_path, "a.jpg")
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert 0 in c.get_embeddings([e], "m1")
    assert any(p.name.startswith("c.sqlite.damaged-") for p in tmp_path.iterdir())


def test_hashes_and_many_rows(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    entries = [entry(tmp_path, f"{i}.jpg", size=i) for i in range(1200)]  # > one SQL chunk
    c.put_hashes([(e, f"d{e.size}") for e in entries])
    hits = c.get_hashes(entries)
    assert len(hits) == 1200 and hits[7] == "d7"


def test_non_utf8_path(tmp_path):
    c = Cache(tmp_path / "c.sqlite")
    name = os.fsdecode(b"caf\xe9.jpg")
    e = entry(tmp_path, name)
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert 0 in c.get_embeddings([e], "m1")
