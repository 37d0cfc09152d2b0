"""Hostile and careless inputs to the file actions (issue 13): planted links in the
backup folder, crafted journal records, symlinked scan folders, concurrent applies,
failing sources, empty applies, and the cross-platform lock."""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions import safeio
from duplicalt.fileactions.backuproot import BackupRootError
from duplicalt.fileactions.locking import FileLock
from duplicalt.fileactions.move import Candidate, move_to_backup
from duplicalt.fileactions.recovery import recover
from duplicalt.fileactions.restore import restore
from tests.fileactions.support import file_shas, make_files, sha


def cands(root: Path, rels: list[str], base: Path | None = None) -> list[Candidate]:
    out = []
    for rel in rels:
        st = (root / rel).lstat()
        out.append(Candidate((base or root) / rel, st.st_size, st.st_mtime_ns))
    return out


@pytest.fixture
def victim(tmp_path) -> Path:
    p = tmp_path / "elsewhere" / "unrelated.txt"
    p.parent.mkdir()
    p.write_bytes(b"an unrelated file that must never be touched\n" * 10)
    return p


@pytest.mark.parametrize("name", [".duplicalt-write-test", mf.JOURNAL_NAME, mf.LOCK_NAME])
def test_a_link_planted_in_the_backup_folder_is_never_written_through(tmp_path, victim, name):
    """Item 1: a symlink at the write probe, the journal or the lock path."""
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / mf.BACKUP_MARKER).write_text("{}")
    (backup / name).symlink_to(victim)
    before = victim.read_bytes()
    with pytest.raises(BackupRootError, match="symlink"):
        move_to_backup(cands(root, ["a.jpg"]), root, backup)
    with pytest.raises(BackupRootError, match="symlink"):
        restore(backup)
    assert victim.read_bytes() == before and file_shas(root) == shas


def test_the_journal_and_lock_are_opened_without_following_links(tmp_path, victim):
    """Item 1, below the folder check: the Journal itself refuses a link."""
    before = victim.read_bytes()
    for name in (mf.JOURNAL_NAME, mf.LOCK_NAME):
        folder = tmp_path / name.strip(".")
        folder.mkdir()
        (folder / name).symlink_to(victim)
        with pytest.raises(mf.JournalError, match="symlink"):
            with mf.Journal(folder) as j:
                j.append({"t": "end", "batch": "x"})
    assert victim.read_bytes() == before


def _crafted(backup: Path, root: Path, **rec) -> None:
    backup.mkdir(exist_ok=True)
    mf.mark_backup_root(backup)
    base = {"t": "move", "batch": "b1", "seq": 0, "src": str(root / "a.jpg"),
            "dst": str(backup / "a.jpg"), "tmp": str(backup / ".duplicalt-part-b1-0"),
            "rel": "a.jpg", "size": 1, "mtime_ns": 1, "sha256": "00"}
    base.update(rec)
    with open(backup / mf.JOURNAL_NAME, "a") as f:
        f.write(json.dumps({"t": "batch", "batch": "b1", "time": "t", "root": str(root),
                            "mode": "move"}) + "\n" + json.dumps(base) + "\n")


@pytest.mark.parametrize("field", ["tmp", "src", "dst", "src=dst"])
def test_a_crafted_journal_record_cannot_delete_or_move_a_file_elsewhere(tmp_path, victim,
                                                                         field):
    """Item 2: every path of every record is checked against the batch root and backup."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    root.mkdir()
    real = os.path.realpath(backup.parent) + "/backup"
    digest = sha(victim)
    rec = {"src=dst": {"src": str(victim), "dst": str(victim), "sha256": digest},
           "src": {"src": str(victim), "sha256": digest},
           "dst": {"dst": str(victim), "sha256": digest},
           "tmp": {"tmp": str(victim)}}[field]
    _crafted(backup, root, **rec)
    before = victim.read_bytes()
    report = recover(backup)
    assert victim.read_bytes() == before
    assert not report.settled and report.problems
    assert "not trusted" in report.problems[0].detail
    assert restore(Path(real)).restored == () and victim.read_bytes() == before


def test_a_crafted_restore_record_cannot_write_outside_the_scanned_folder(tmp_path, victim):
    """Item 2: a backed-up entry whose original lies outside its batch root is not restored."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    root.mkdir()
    make_files(backup, ["x.jpg"])
    outside = tmp_path / "elsewhere" / "new.jpg"
    _crafted(backup, root, src=str(outside), dst=str(Path(os.path.realpath(backup)) / "x.jpg"),
             sha256=sha(backup / "x.jpg"))
    with open(backup / mf.JOURNAL_NAME, "a") as f:
        f.write('{"t":"moved","batch":"b1","seq":0}\n{"t":"end","batch":"b1"}\n')
    assert restore(backup).restored == () and not outside.exists()
    assert (backup / "x.jpg").is_file()


def test_a_scan_through_a_symlinked_folder_can_be_applied(tmp_path):
    """Item 4: root resolved, paths through the link (and the other way round)."""
    real = tmp_path / "data" / "pics"
    shas = make_files(real, ["a.jpg", "sub/b.jpg"])
    link = tmp_path / "Pictures"
    link.symlink_to(real, target_is_directory=True)
    report = move_to_backup(cands(real, ["a.jpg"], base=link), real, tmp_path / "bk1")
    assert report.ok and [o.path for o in report.moved] == [link / "a.jpg"]
    report = move_to_backup(cands(real, ["sub/b.jpg"]), link, tmp_path / "bk2")
    assert report.ok and len(report.moved) == 1
    assert file_shas(tmp_path / "bk1") == {"a.jpg": shas["a.jpg"]}
    assert file_shas(tmp_path / "bk2") == {"sub/b.jpg": shas["sub/b.jpg"]}
    assert restore(tmp_path / "bk1").ok and restore(tmp_path / "bk2").ok
    assert file_shas(real) == shas


def test_a_symlinked_subfolder_is_still_refused(tmp_path):
    real = tmp_path / "pics"
    make_files(tmp_path / "other", ["x.jpg"])
    real.mkdir()
    (real / "in").symlink_to(tmp_path / "other", target_is_directory=True)
    report = move_to_backup(cands(tmp_path / "other", ["x.jpg"], base=real / "in"), real,
                            tmp_path / "bk")
    assert not report.moved and "symlink" in report.skipped[0].reason


def test_two_applies_of_one_scan_cannot_run_at_once(tmp_path):
    """Item 5: the scanned folder is locked too (two different backups)."""
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    with FileLock(Path(os.path.realpath(root)) / mf.LOCK_NAME):  # another apply is running
        with pytest.raises(mf.JournalBusy, match="moving photos out of"):
            move_to_backup(cands(root, ["a.jpg"]), root, tmp_path / "bk2")
    assert file_shas(root) == shas and not file_shas(tmp_path / "bk2")
    assert move_to_backup(cands(root, ["a.jpg"]), root, tmp_path / "bk2").ok


@pytest.mark.parametrize("force_copy", [False, True])
def test_a_source_that_cannot_be_removed_leaves_no_copy_in_the_backup(tmp_path, monkeypatch,
                                                                      force_copy):
    """Item 5: the source unlink is inside the clean-up."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    shas = make_files(root, ["a.jpg"])
    real_unlink = os.unlink

    def refuse_source(path, *a, **k):
        if Path(path).name == "a.jpg" and Path(path).parent.name == "photos":
            raise OSError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_unlink(path, *a, **k)

    monkeypatch.setattr(os, "unlink", refuse_source)
    report = move_to_backup(cands(root, ["a.jpg"]), root, backup, force_copy=force_copy)
    monkeypatch.undo()
    assert report.failed and report.failed[0].reason == "permission denied"
    assert file_shas(root) == shas and file_shas(backup) == {}


def test_a_read_only_source_folder_is_refused_before_anything_is_copied(tmp_path, monkeypatch):
    """Item 5: the source folder must be writable (checked first)."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    shas = make_files(root, ["ro/a.jpg", "b.jpg"])
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p).name == "ro"
                        and mode & os.W_OK else real_access(p, mode, *a, **k))
    calls = []
    monkeypatch.setattr(safeio, "copy_verified", lambda *a: calls.append(a))
    report = move_to_backup(cands(root, ["ro/a.jpg"]), root, backup, force_copy=True)
    assert "read-only" in report.skipped[0].reason and not calls
    monkeypatch.undo()
    assert file_shas(root) == shas and file_shas(backup) == {}


def test_an_apply_that_moves_nothing_writes_no_batch(tmp_path):
    """Item 11: nothing to move (or every file refused) writes no batch."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    make_files(root, ["a.jpg"])
    assert move_to_backup([], root, backup).moved == () and not backup.exists()
    stale = [Candidate(root / "a.jpg", 1, 1)]  # changed since the scan: refused
    report = move_to_backup(stale, root, backup)
    assert report.skipped and report.batch == ""
    assert mf.list_backups(backup) == ()


def test_the_journal_lock_works_without_fcntl(tmp_path, monkeypatch):
    """Item 12: the lock comes from a cross-platform library, not fcntl alone
    (as on Windows, where there is no fcntl)."""
    monkeypatch.setattr(mf, "fcntl", None, raising=False)
    with mf.Journal(tmp_path):
        with pytest.raises(mf.JournalBusy):
            with mf.Journal(tmp_path):
                pass
    with mf.Journal(tmp_path):
        pass


def test_a_candidate_no_longer_identical_to_its_kept_photo_is_not_moved(tmp_path):
    """Item 7: the apply path re-checks byte-identical groups by sha256 before moving."""
    root = tmp_path / "photos"
    make_files(root, ["keep.jpg"])
    (root / "copy.jpg").write_bytes((root / "keep.jpg").read_bytes())
    (root / "stale.jpg").write_bytes((root / "keep.jpg").read_bytes()[:-1] + b"!")
    files = [Candidate(c.path, c.size, c.mtime_ns, same_as=(root / "keep.jpg",))
             for c in cands(root, ["copy.jpg", "stale.jpg"])]
    report = move_to_backup(files, root, tmp_path / "bk")
    assert [o.path.name for o in report.moved] == ["copy.jpg"]
    assert [(o.path.name, o.reason.split(" (")[0]) for o in report.skipped] == [
        ("stale.jpg", "no longer byte-identical to the kept photo")]
    assert (root / "stale.jpg").is_file() and (root / "keep.jpg").is_file()
