import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from duplicalt.photos.cache import Cache
from duplicalt.photos.types import FileEntry, PhotoInfo
from tests.sample_photos import make_photo, save


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


def test_a_damaged_duplicalt_cache_is_moved_aside_and_rebuilt(tmp_path):
    path = tmp_path / "c.sqlite"
    c = Cache(path)
    c.put_hashes([(entry(tmp_path, "a.jpg"), "d")])
    c.close()
    raw = bytearray(path.read_bytes())
    raw[100:] = b"\x5a" * (len(raw) - 100)  # pages damaged, the header (and its app id) intact
    path.write_bytes(bytes(raw))
    c = Cache(path)
    assert c.rebuilt_reason and "rebuilt" in c.rebuilt_reason
    e = entry(tmp_path, "a.jpg")
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert 0 in c.get_embeddings([e], "m1")
    assert any(p.name.startswith("c.sqlite.damaged-") for p in tmp_path.iterdir())


def test_a_second_connection_may_skip_the_integrity_check(tmp_path):
    path = tmp_path / "c.sqlite"
    c = Cache(path)
    c.put_hashes([(entry(tmp_path, f"{k}.jpg"), "d" * 200) for k in range(400)])  # many pages
    c.close()
    raw = bytearray(path.read_bytes())
    raw[-2048:] = b"\x5a" * 2048  # the last page of the hashes damaged; the schema intact
    path.write_bytes(bytes(raw))
    quick = Cache(path, check=False)  # the window's keeper worker: the scan checked it
    assert quick.rebuilt_reason is None and path.exists()
    quick.close()
    checked = Cache(path)
    assert checked.rebuilt_reason and "rebuilt" in checked.rebuilt_reason
    checked.close()


@pytest.mark.parametrize("what", ["folder", "photo", "text", "other database", "symlink"])
def test_cache_path_that_is_not_a_duplicalt_cache_is_never_renamed(tmp_path, what):
    """Issue 13, item 6: --cache PATH never renames (or writes into) what is there."""
    path = tmp_path / "target"
    if what == "folder":
        path.mkdir()
        (path / "work.txt").write_text("my work")
    elif what == "photo":
        save(make_photo(1), path, format="JPEG")
    elif what == "text":
        path.write_text("notes " * 100)
    elif what == "other database":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE embeddings (x)")
        db.execute("INSERT INTO embeddings VALUES (42)")
        db.commit()
        db.close()
    else:
        (tmp_path / "real.txt").write_text("link target")
        path.symlink_to(tmp_path / "real.txt")
    before = sorted(os.listdir(tmp_path))
    snapshot = path.read_bytes() if path.is_file() else None
    c = Cache(path)
    assert c.rebuilt_reason and "left untouched" in c.rebuilt_reason
    c.put_hashes([(entry(tmp_path, "a.jpg"), "d")])  # works, in memory
    assert c.get_hashes([entry(tmp_path, "a.jpg")]) == {0: "d"}
    c.close()
    assert sorted(os.listdir(tmp_path)) == before
    if snapshot is not None:
        assert path.read_bytes() == snapshot
    if what == "folder":
        assert (path / "work.txt").read_text() == "my work"


def test_a_file_rewritten_with_size_and_mtime_put_back_misses(tmp_path):
    """Issue 13, item 7: keyed on ctime and inode too."""
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"A" * 100)
    st = photo.stat()
    e = FileEntry(photo, "a.jpg", st.st_size, st.st_mtime_ns, "jpeg")
    c = Cache(tmp_path / "c.sqlite")
    c.put_hashes([(e, "digest-of-A")])
    c.put_embeddings([(e, np.ones(4, np.float32), None, None)], "m1")
    assert c.get_hashes([e]) == {0: "digest-of-A"} and 0 in c.get_embeddings([e], "m1")
    time.sleep(0.05)
    tmp = tmp_path / "a.new"
    tmp.write_bytes(b"B" * 100)  # an editor's save: a new inode, renamed over the photo
    os.replace(tmp, photo)
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert photo.stat().st_size == e.size and photo.stat().st_mtime_ns == e.mtime_ns
    assert c.get_hashes([e]) == {} and c.get_embeddings([e], "m1") == {}
    with open(photo, "r+b") as f:  # in place (same inode): the ctime still moves
        f.write(b"C" * 100)
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    c.put_hashes([(e, "digest-of-C")])
    time.sleep(0.05)
    with open(photo, "r+b") as f:
        f.write(b"D" * 100)
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert c.get_hashes([e]) == {}


@pytest.mark.parametrize("error", ["permission denied", "file vanished during the scan",
                                   "too large to decode (out of memory)",
                                   "corrupt or unsupported image ([Errno 5] Input/output error)",
                                   "decoder error (MemoryError: )"])
def test_failures_not_caused_by_the_content_are_not_cached(tmp_path, error):
    """Issue 13, item 8."""
    c = Cache(tmp_path / "c.sqlite")
    e = entry(tmp_path, "bad.jpg")
    c.put_embeddings([(e, None, None, error)], "m1")
    assert c.get_embeddings([e], "m1") == {}


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
