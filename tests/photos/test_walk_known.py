"""Warm re-scans classify unchanged files from lstat alone (recorded kinds)."""
import os

from duplicalt.photos import walk as walk_mod
from duplicalt.photos.cache import Cache
from duplicalt.photos.walk import walk
from tests.sample_photos import make_photo, save


def tree(tmp_path):
    root = tmp_path / "photos"
    save(make_photo(1), root / "a.jpg")
    save(make_photo(2), root / "sub" / "b.png")
    save(make_photo(3), root / "no_ext", format="JPEG")
    (root / "notes.txt").write_text("not a photo")
    (root / "text.jpg").write_text("I am text")
    return root


def test_known_files_are_not_opened(tmp_path, monkeypatch):
    root = tree(tmp_path)
    first = walk(root)
    assert sorted(p.name for p, *_ in first.sniffed) == ["a.jpg", "b.png", "no_ext",
                                                         "notes.txt", "text.jpg"]
    cache = Cache(tmp_path / "c.sqlite")
    cache.put_kinds(first.sniffed)
    known = cache.get_kinds(root)
    assert known[os.fsencode(root / "notes.txt")][2] == ""

    def no_open(*a, **k):
        raise AssertionError("a known file was opened")

    monkeypatch.setattr(walk_mod, "open", no_open, raising=False)
    second = walk(root, known=known)
    assert second.files == first.files and second.unreadable == first.unreadable
    assert second.sniffed == ()


def test_changed_file_is_read_again(tmp_path):
    root = tree(tmp_path)
    cache = Cache(None)
    cache.put_kinds(walk(root).sniffed)
    save(make_photo(4), root / "a.jpg", format="PNG")  # same name, new content and mtime
    os.utime(root / "a.jpg", ns=(1, 1))
    again = walk(root, known=cache.get_kinds(root))
    assert [p.name for p, *_ in again.sniffed] == ["a.jpg"]
    assert {e.rel: e.kind for e in again.files}["a.jpg"] == "png"


def test_kinds_are_scoped_to_the_root(tmp_path):
    cache = Cache(None)
    rows = [(tmp_path / name, 1, 1, "jpeg") for name in ("r/x.jpg", "r2/y.jpg", "rr.jpg")]
    cache.put_kinds(rows)
    assert list(cache.get_kinds(tmp_path / "r")) == [os.fsencode(tmp_path / "r" / "x.jpg")]
    assert len(cache.get_kinds(tmp_path)) == 3


def test_relative_paths_are_posix(tmp_path):
    root = tree(tmp_path)
    assert [e.rel for e in walk(root).files] == ["a.jpg", "no_ext", "sub/b.png"]


def test_warm_scan_does_not_reopen_unchanged_files(tmp_path, monkeypatch):
    from duplicalt.scan.pipeline import scan
    from tests.scan.fake_embedder import PixelEmbedder

    root = tree(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    cold = scan(root, PixelEmbedder(), 0.97, cache=cache)
    monkeypatch.setattr(walk_mod, "open", lambda *a, **k: 1 / 0, raising=False)
    emb = PixelEmbedder()
    warm = scan(root, emb, 0.97, cache=cache)
    assert emb.calls == 0 and warm.entries == cold.entries
    assert [u.reason for u in warm.unreadable] == [u.reason for u in cold.unreadable]
