"""Every bad input on the apply/restore side: the batch keeps going, reports,
and no photo is lost."""
from __future__ import annotations

import errno
import io
import os
import subprocess
import zlib
import struct
from pathlib import Path

import pytest

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions import safeio
from duplicalt.fileactions.move import Candidate, move_to_backup, restore
from duplicalt.fileactions.backuproot import BackupRootError
from tests.fileactions.support import file_shas, make_files, sha, tmpfs


def cands(root: Path, rels) -> list[Candidate]:
    return [Candidate(root / r, (root / r).lstat().st_size, (root / r).lstat().st_mtime_ns)
            for r in rels]


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A valid PNG header claiming 20000x20000 pixels, a few KB on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\x00" * width  # one grey row, repeated by the compressor
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(200)) + comp.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def test_odd_contents_move_and_restore_bit_identical(tmp_path):
    """Zero bytes, truncated JPEG, text named .jpg, decompression bomb: moved as bytes,
    never decoded, restored bit-identical."""
    from PIL import Image

    root = tmp_path / "photos"
    root.mkdir()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buf, "JPEG")
    contents = {"empty.jpg": b"", "truncated.jpg": buf.getvalue()[: len(buf.getvalue()) // 2],
                "text.jpg": b"hello, I am not a photo\n", "bomb.png": bomb_png()}
    assert len(contents["bomb.png"]) < 64_000
    for name, data in contents.items():
        (root / name).write_bytes(data)
    backup = tmp_path / "backup"
    report = move_to_backup(cands(root, sorted(contents)), root, backup, force_copy=True)
    assert report.ok and len(report.moved) == 4 and not file_shas(root)
    assert restore(backup).ok
    assert {n: (root / n).read_bytes() for n in contents} == contents


def test_unreadable_source_fails_alone(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg", "locked.jpg", "c.jpg"])
    real_open = os.open

    def guarded(path, flags, *a, **k):
        if os.fspath(path).endswith("locked.jpg"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", guarded)
    report = move_to_backup(cands(root, ["a.jpg", "locked.jpg", "c.jpg"]), root,
                            tmp_path / "backup")
    assert len(report.moved) == 2
    assert report.failed[0].path.name == "locked.jpg"
    assert report.failed[0].reason == "cannot read: permission denied"
    assert sha(root / "locked.jpg") == shas["locked.jpg"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_source_real_permissions(tmp_path):
    root = tmp_path / "photos"
    make_files(root, ["locked.jpg"])
    (root / "locked.jpg").chmod(0)
    try:
        report = move_to_backup(cands(root, ["locked.jpg"]), root, tmp_path / "backup")
        assert "permission denied" in report.failed[0].reason
        assert (root / "locked.jpg").exists()
    finally:
        (root / "locked.jpg").chmod(0o644)


def test_non_utf8_names_round_trip(tmp_path):
    if os.name != "posix" or os.uname().sysname == "Darwin":
        pytest.skip("needs a file system that stores arbitrary bytes")
    root = tmp_path / "photos"
    broken = os.fsdecode(b"caf\xe9-\xff.jpg")
    (root / "d\xe9j\xe0").mkdir(parents=True)
    (root / broken).write_bytes(b"latin-1 name")
    (root / "d\xe9j\xe0/\u5199\u771f.jpg").write_bytes(b"unicode name")
    backup = tmp_path / "backup"
    report = move_to_backup(cands(root, [broken, "d\xe9j\xe0/\u5199\u771f.jpg"]), root, backup)
    assert report.ok and len(report.moved) == 2
    assert os.fsencode(report.moved[0].dest.name) == b"caf\xe9-\xff.jpg"
    entries = mf.list_backups(backup)[0].entries  # through the JSON journal
    assert os.fsencode(entries[0].original) == os.fsencode(root / broken)
    assert restore(backup).ok
    assert (root / broken).read_bytes() == b"latin-1 name"
    assert "\\xe9" in safeio.show(root / broken)


def test_very_long_names_and_paths(tmp_path):
    root = tmp_path / "photos"
    name = "n" * 250 + ".jpg"  # 254 bytes: the longest most file systems allow is 255
    make_files(root, [name])
    backup = tmp_path / "backup"
    (backup).mkdir()
    (backup / mf.BACKUP_MARKER).write_text("{}")
    (backup / name).write_bytes(b"clash")
    report = move_to_backup(cands(root, [name]), root, backup)
    assert report.ok and len(os.fsencode(report.moved[0].dest.name)) <= 255
    # a path that fits in the scanned folder but not under a deep backup folder
    deep_rel = "/".join(["d" * 200] * 19) + "/p.jpg"  # about 3830 bytes
    shas = make_files(root, [deep_rel])
    deep_backup = tmp_path / ("b" * 200) / ("b" * 200)
    report = move_to_backup(cands(root, [deep_rel]), root, deep_backup)
    assert not report.moved and "too long" in (report.failed + report.skipped)[0].reason
    assert sha(root / deep_rel) == shas[deep_rel]


def test_disk_full_mocked(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg", "b.jpg", "c.jpg"])
    real_write, calls = safeio.write_all, []

    def full_on_second_file(fd, data):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(safeio, "write_all", full_on_second_file)  # copies, not the journal
    backup = tmp_path / "backup"
    report = move_to_backup(cands(root, ["a.jpg", "b.jpg", "c.jpg"]), root, backup,
                            force_copy=True)
    assert [o.path.name for o in report.moved] == ["a.jpg"]
    assert [(o.path.name, o.reason) for o in report.failed] == [("b.jpg", "disk full")]
    # once the disk is full the rest is not tried (issue 13, item 11)
    assert [(o.path.name, o.reason) for o in report.skipped] == [
        ("c.jpg", "not tried: the backup disk is full")]
    assert len(calls) == 2
    assert sha(root / "b.jpg") == shas["b.jpg"]
    assert {**file_shas(root), **file_shas(backup)} == shas
    assert not [n for n in os.listdir(backup) if n.startswith(mf.PART_PREFIX)]
    assert [e.state for e in mf.list_backups(backup)[0].entries] == [
        mf.BACKED_UP, mf.NOT_MOVED]


def test_disk_full_for_the_journal_mocked(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg", "b.jpg"])
    backup = tmp_path / "backup"
    real_append, calls = mf.Journal.append, []

    def full_on_second_intent(self, record):
        calls.append(record["t"])
        if record["t"] == "move" and calls.count("move") == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_append(self, record)

    monkeypatch.setattr(mf.Journal, "append", full_on_second_intent)
    report = move_to_backup(cands(root, ["a.jpg", "b.jpg"]), root, backup)
    assert report.failed[0].reason == "cannot write the backup journal: disk full"
    assert file_shas(root) == {"b.jpg": shas["b.jpg"]}


def test_disk_full_real_tmpfs(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, [f"p{i}.jpg" for i in range(4)], size=150_000)
    with tmpfs(tmp_path / "small", size="400k") as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here (not root)")
        backup = tmp_path / "small" / "backup"
        report = move_to_backup(cands(root, sorted(shas)), root, backup)
        assert report.moved and report.failed
        assert {o.reason for o in report.failed} <= {"disk full",
                                                     "cannot write the backup journal: disk full"}
        everything = {**file_shas(root), **file_shas(backup)}
        assert sorted(everything.values()) == sorted(shas.values())
        assert restore(backup).ok
        assert file_shas(root) == shas


def make_read_only(monkeypatch, folder):
    """os.open refuses to write below ``folder``, as on a read-only mount."""
    real_open = os.open

    def read_only(path, flags, *a, **k):
        if os.fspath(path).startswith(os.fspath(folder)) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", read_only)


def test_read_only_backup_mocked(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    backup = tmp_path / "backup"
    backup.mkdir()
    make_read_only(monkeypatch, backup)
    with pytest.raises(BackupRootError, match="read-only file system"):
        move_to_backup(cands(root, ["a.jpg"]), root, backup)
    monkeypatch.undo()
    assert file_shas(root) == shas and os.listdir(backup) == []


def test_read_only_backup_real_mount(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    with tmpfs(tmp_path / "ro", size="64k", readonly=True) as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here (not root)")
        with pytest.raises(BackupRootError, match="read-only"):
            move_to_backup(cands(root, ["a.jpg"]), root, tmp_path / "ro")
    assert file_shas(root) == shas


def test_restore_from_read_only_backup_copies_back_as_the_dry_run_says(tmp_path, monkeypatch):
    """Issue 13, item 11: a write-protected backup disk is restored from (by copying;
    it keeps its copies), and --dry-run says exactly that."""
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg", "sub/b.jpg"])
    backup = tmp_path / "backup"
    assert move_to_backup(cands(root, ["a.jpg", "sub/b.jpg"]), root, backup).ok
    journal = (backup / mf.JOURNAL_NAME).read_bytes()
    make_read_only(monkeypatch, backup)
    dry = restore(backup, dry_run=True)
    report = restore(backup)
    monkeypatch.undo()
    assert len(dry.restored) == len(report.restored) == 2 and report.ok and report.read_only
    assert file_shas(root) == shas and file_shas(backup) == shas
    assert (backup / mf.JOURNAL_NAME).read_bytes() == journal
    again = restore(backup)  # writable again: both are back, nothing overwritten
    assert not again.restored and len(again.skipped) == 2 and file_shas(root) == shas


def test_restore_from_a_real_read_only_mount(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    mnt = tmp_path / "ro"
    with tmpfs(mnt, size="1m") as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here (not root)")
        assert move_to_backup(cands(root, ["a.jpg"]), root, mnt).ok
        if subprocess.run(["mount", "-o", "remount,ro", str(mnt)]).returncode != 0:
            pytest.skip("cannot remount read-only")
        report = restore(mnt)
        assert report.ok and report.read_only and file_shas(root) == shas
        assert file_shas(mnt) == shas