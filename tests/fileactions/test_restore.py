"""restore(): after a restart, for a chosen subset, never overwriting."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.move import Candidate, move_to_backup, restore, select_entries
from duplicalt.fileactions.backuproot import BackupRootError
from tests.fileactions.support import file_shas, make_files

REPO = Path(__file__).resolve().parents[2]
RELS = ["trip/a.jpg", "trip/b.jpg", "trip/sub/c.jpg", "home/d.png", "e.jpg"]


@pytest.fixture
def backed_up(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, RELS, size=5000)
    backup = tmp_path / "backup"
    report = move_to_backup([Candidate(root / r) for r in RELS], root, backup)
    assert report.ok and not file_shas(root)
    return root, backup, shas


def test_restore_in_a_new_process_is_bit_identical(backed_up, tmp_path):
    root, backup, shas = backed_up
    mtimes = {r: (backup / r).stat().st_mtime_ns for r in RELS}
    code = ("import sys; from duplicalt.fileactions.move import restore; "
            "r = restore(sys.argv[1], force_copy=True); sys.exit(0 if r.ok else 1)")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, str(backup)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert file_shas(root) == shas and not file_shas(backup)
    assert {r: (root / r).stat().st_mtime_ns for r in RELS} == mtimes
    assert {e.state for b in mf.list_backups(backup) for e in b.entries} == {mf.RESTORED}


def test_restore_a_subset(backed_up):
    root, backup, shas = backed_up
    assert len(select_entries(backup, ["trip"])) == 3
    assert len(select_entries(backup, ["trip/*.jpg"])) == 3  # fnmatch: * crosses "/"
    assert len(select_entries(backup, [str(root / "home")])) == 1
    report = restore(backup, only=["trip/sub", "e.jpg"])
    assert sorted(o.path.name for o in report.restored) == ["c.jpg", "e.jpg"]
    assert set(file_shas(root)) == {"trip/sub/c.jpg", "e.jpg"}
    batch = mf.list_backups(backup)[0].id
    assert len(restore(backup, batch=batch[:15]).restored) == 3
    assert file_shas(root) == shas
    assert restore(backup).restored == ()  # nothing left


def test_never_overwrites_a_file_that_now_exists(backed_up):
    root, backup, shas = backed_up
    (root / "trip/a.jpg").write_bytes(b"a new photo the user took")
    report = restore(backup)
    assert [o.path for o in report.skipped] == [root / "trip/a.jpg"]
    assert "not overwritten" in report.skipped[0].reason and not report.ok
    assert (root / "trip/a.jpg").read_bytes() == b"a new photo the user took"
    assert file_shas(backup) == {"trip/a.jpg": shas["trip/a.jpg"]}  # still backed up


def test_a_changed_backup_copy_is_not_restored(backed_up):
    root, backup, shas = backed_up
    (backup / "e.jpg").write_bytes(b"tampered")
    report = restore(backup, only=["e.jpg"])
    assert "differs" in report.failed[0].reason
    assert not (root / "e.jpg").exists() and (backup / "e.jpg").read_bytes() == b"tampered"


def test_missing_backup_copy_is_reported(backed_up):
    root, backup, _ = backed_up
    (backup / "e.jpg").unlink()
    report = restore(backup, only=["e.jpg"])
    assert "missing" in report.failed[0].reason


def test_dry_run_restores_nothing(backed_up):
    root, backup, _ = backed_up
    report = restore(backup, dry_run=True)
    assert report.dry_run and len(report.restored) == 5 and not file_shas(root)


def test_restore_recreates_removed_folders_but_not_a_removed_root(backed_up, tmp_path):
    root, backup, shas = backed_up
    (root / "trip/sub").rmdir()
    assert restore(backup, only=["trip/sub/c.jpg"]).ok
    root.rename(tmp_path / "gone")
    report = restore(backup)
    assert all("not available" in o.reason for o in report.skipped) and len(report.skipped) == 4


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(BackupRootError, match="not a DuplicAlt backup"):
        restore(tmp_path)


def test_restore_does_not_write_through_a_symlinked_folder(backed_up, tmp_path):
    root, backup, _ = backed_up
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "trip/sub").rmdir()  # the move leaves the (now empty) folders in place
    (root / "trip").rmdir()
    (root / "trip").symlink_to(elsewhere)
    report = restore(backup, only=["trip"])
    assert len(report.skipped) == 3 and all("symlink" in o.reason for o in report.skipped)
    assert not os.listdir(elsewhere)
