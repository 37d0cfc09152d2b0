import os

from duplicalt.photos.walk import BACKUP_MARKER, walk
from tests.sample_photos import make_photo, save


def names(result):
    return [e.rel for e in result.files]


def test_recursive_sorted_by_content(tmp_path):
    save(make_photo(1), tmp_path / "b" / "deep" / "x.jpg")
    save(make_photo(2), tmp_path / "a.png")
    save(make_photo(3), tmp_path / "no_extension", format="JPEG")  # found by content
    (tmp_path / "notes.txt").write_text("not a photo, not reported")
    r = walk(tmp_path)
    assert names(r) == ["a.png", "b/deep/x.jpg", "no_extension"]
    assert [e.kind for e in r.files] == ["png", "jpeg", "jpeg"]
    assert r.unreadable == ()


def test_bad_files_reported_with_reasons(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("I am text")
    (tmp_path / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    r = walk(tmp_path)
    reasons = {p.path.name: p.reason for p in r.unreadable}
    assert "empty file" in reasons["empty.jpg"]
    assert "unrecognised content" in reasons["text.jpg"]
    assert "SVG vector drawing" in reasons["drawing.svg"]
    assert r.files == ()


def test_hidden_and_backup_folders_skipped(tmp_path):
    save(make_photo(1), tmp_path / ".thumbnails" / "t.jpg")
    save(make_photo(2), tmp_path / ".hidden.jpg")
    save(make_photo(3), tmp_path / "backup" / "old.jpg")
    (tmp_path / "backup" / BACKUP_MARKER).write_text("")
    save(make_photo(4), tmp_path / "excluded" / "e.jpg")
    save(make_photo(5), tmp_path / "kept.jpg")
    r = walk(tmp_path, exclude=[tmp_path / "excluded"])
    assert names(r) == ["kept.jpg"]


def test_symlinks_and_hardlinks_are_links(tmp_path):
    photo = save(make_photo(1), tmp_path / "real.jpg")
    os.symlink(photo, tmp_path / "alias.jpg")
    os.link(photo, tmp_path / "z_hard.jpg")
    os.symlink(tmp_path, tmp_path / "loop")  # a directory loop
    os.symlink(tmp_path / "gone.jpg", tmp_path / "broken.jpg")
    r = walk(tmp_path)
    assert names(r) == ["real.jpg"]
    kinds = {l.path.name: (l.kind, l.target.name) for l in r.links}
    assert kinds["alias.jpg"] == ("symlink", "real.jpg")
    assert kinds["z_hard.jpg"] == ("hardlink", "real.jpg")
    assert kinds["broken.jpg"][0] == "symlink"
    assert kinds["loop"][0] == "symlink"


def test_unreadable_folder_and_file(tmp_path):
    if os.geteuid() == 0:
        import pytest
        pytest.skip("root reads everything")
    save(make_photo(1), tmp_path / "locked" / "a.jpg")
    os.chmod(tmp_path / "locked", 0)
    try:
        r = walk(tmp_path)
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert any("unreadable" in u.reason for u in r.unreadable)


def test_non_utf8_and_long_names(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.jpg"
    with open(raw, "wb") as f:
        make_photo(1).save(f, format="JPEG")
    save(make_photo(2), tmp_path / ("l" * 240 + ".jpg"))
    r = walk(tmp_path)
    assert len(r.files) == 2


def test_a_fifo_named_like_a_photo_is_listed_not_skipped(tmp_path):
    """Issue 13, item 11: a FIFO called x.jpg is reported (and never opened: no hang)."""
    os.mkfifo(tmp_path / "x.jpg")
    save(make_photo(1), tmp_path / "a.jpg")
    r = walk(tmp_path)
    assert names(r) == ["a.jpg"]
    assert [(u.path.name, u.reason) for u in r.unreadable] == [
        ("x.jpg", "not a regular file (a FIFO, socket or device)")]


def test_exclude_is_relative_to_the_scanned_folder_and_a_missing_one_is_reported(
        tmp_path, monkeypatch):
    """Issue 13, item 11: --exclude resolved against the scanned folder, not the cwd."""
    root = tmp_path / "photos"
    save(make_photo(1), root / "skip" / "s.jpg")
    save(make_photo(2), root / "kept.jpg")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = walk(root, exclude=[type(root)("skip"), type(root)("no-such-folder")])
    assert names(r) == ["kept.jpg"]
    assert [(u.path, u.reason.split(":")[0]) for u in r.unreadable] == [
        (root / "no-such-folder", "--exclude")]
