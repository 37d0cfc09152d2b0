"""move_to_backup: mirrored layout, never overwrite, copy-verify path, refusals."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.move import Candidate, move_to_backup, numbered, trash_files
from duplicalt.fileactions.backuproot import BackupRootError, check_backup_root
from tests.fileactions.support import file_shas, make_files, sha


def cands(root: Path, rels) -> list[Candidate]:
    out = []
    for rel in rels:
        st = (root / rel).lstat()
        out.append(Candidate(root / rel, st.st_size, st.st_mtime_ns))
    return out


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, ["a/x.jpg", "a/y.jpg", "b/c/z.png", "top.jpg"])
    return root, shas


@pytest.mark.parametrize("force_copy", [False, True])
def test_moves_mirror_relative_paths(tree, tmp_path, force_copy):
    root, shas = tree
    backup = tmp_path / "backup"
    mtime = (root / "a/x.jpg").stat().st_mtime_ns
    report = move_to_backup(cands(root, ["a/x.jpg", "b/c/z.png"]), root, backup,
                            force_copy=force_copy)
    assert report.ok and len(report.moved) == 2 and report.batch
    assert file_shas(backup) == {"a/x.jpg": shas["a/x.jpg"], "b/c/z.png": shas["b/c/z.png"]}
    assert set(file_shas(root)) == {"a/y.jpg", "top.jpg"}
    assert (backup / "a/x.jpg").stat().st_mtime_ns == mtime
    assert (backup / mf.BACKUP_MARKER).is_file()
    assert not [n for n in os.listdir(backup) if n.startswith(mf.PART_PREFIX)]
    (batch,) = mf.list_backups(backup)
    assert batch.complete and [e.state for e in batch.entries] == [mf.BACKED_UP] * 2
    assert batch.entries[0].sha256 == shas["a/x.jpg"]


def test_cross_filesystem_move_when_available(tree, tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system (the forced copy path is tested above)")
    root, shas = tree
    backup = shm / f"duplicalt-test-{os.getpid()}-{tmp_path.name}"
    try:
        report = move_to_backup(cands(root, ["a/x.jpg", "top.jpg"]), root, backup)
        assert report.ok and len(report.moved) == 2
        assert file_shas(backup) == {"a/x.jpg": shas["a/x.jpg"], "top.jpg": shas["top.jpg"]}
        assert not (root / "a/x.jpg").exists()
    finally:
        import shutil
        shutil.rmtree(backup, ignore_errors=True)


def test_clash_gets_a_new_name_and_both_are_kept(tree, tmp_path):
    root, shas = tree
    backup = tmp_path / "backup"
    (backup / "a").mkdir(parents=True)
    (backup / mf.BACKUP_MARKER).write_text("{}")
    (backup / "a/x.jpg").write_bytes(b"older backup")
    report = move_to_backup(cands(root, ["a/x.jpg"]), root, backup)
    assert report.moved[0].dest == backup / "a/x (1).jpg"
    assert (backup / "a/x.jpg").read_bytes() == b"older backup"
    assert sha(backup / "a/x (1).jpg") == shas["a/x.jpg"]


def test_numbered_names_fit_name_max():
    long = Path("/b/" + "é" * 125 + ".jpg")  # 250 + 4 bytes
    name = numbered(long, 12).name
    assert len(os.fsencode(name)) <= 255 and name.endswith(" (12).jpg")


def test_refuses_symlinks_outside_and_backup_paths(tree, tmp_path):
    root, _ = tree
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"not yours")
    (root / "link.jpg").symlink_to(root / "a/x.jpg")
    (root / "linkdir").symlink_to(root / "a")
    backup = root / "bk"
    files = [Candidate(root / "link.jpg"), Candidate(root / "linkdir/y.jpg"),
             Candidate(outside), Candidate(root / "a/../../outside.jpg")]
    report = move_to_backup(files, root, backup)
    reasons = [o.reason for o in report.skipped]
    assert not report.moved and len(reasons) == 4
    assert "symlink" in reasons[0] and "symlink" in reasons[1]
    assert "outside the scanned folder" in reasons[2] and "outside" in reasons[3]
    assert outside.read_bytes() == b"not yours" and (root / "a/y.jpg").is_file()
    inner = backup / "a/x.jpg"
    inner.parent.mkdir(parents=True)
    inner.write_bytes(b"in backup")
    report = move_to_backup([Candidate(inner)], root, backup)
    assert report.skipped[0].reason == "inside the backup folder" and inner.is_file()


def test_symlink_inside_backup_is_never_written_through(tree, tmp_path):
    root, _ = tree
    backup, elsewhere = tmp_path / "backup", tmp_path / "elsewhere"
    backup.mkdir()
    elsewhere.mkdir()
    (backup / mf.BACKUP_MARKER).write_text("{}")
    (backup / "a").symlink_to(elsewhere)
    with pytest.raises(BackupRootError, match="holds a symlink"):
        move_to_backup(cands(root, ["a/x.jpg"]), root, backup)
    assert (root / "a/x.jpg").is_file() and not os.listdir(elsewhere)


def test_changed_and_vanished_files_are_skipped(tree, tmp_path):
    root, shas = tree
    files = cands(root, ["a/x.jpg", "a/y.jpg", "top.jpg"])
    (root / "a/x.jpg").write_bytes(b"edited after the scan")
    os.utime(root / "a/y.jpg", ns=(1, 1))
    (root / "top.jpg").unlink()
    report = move_to_backup(files, root, tmp_path / "backup")
    assert not report.moved and not report.ok
    assert [o.reason.split(" (")[0] for o in report.skipped] == [
        "changed since the scan", "changed since the scan", "vanished since the scan"]
    assert sha(root / "a/y.jpg") == shas["a/y.jpg"]


def test_dry_run_touches_nothing(tree, tmp_path):
    root, _ = tree
    backup = tmp_path / "backup"
    report = move_to_backup(cands(root, ["a/x.jpg"]) + [Candidate(root / "nope.jpg")], root,
                            backup, dry_run=True)
    assert report.dry_run and report.moved[0].dest == backup.resolve() / "a/x.jpg"
    assert report.skipped[0].reason == "vanished since the scan"
    assert not backup.exists() and (root / "a/x.jpg").is_file()


def test_progress_and_cancel(tree, tmp_path):
    root, _ = tree
    seen = []
    report = move_to_backup(cands(root, ["a/x.jpg", "a/y.jpg", "top.jpg"]), root,
                            tmp_path / "backup", progress=lambda d, t: seen.append((d, t)),
                            cancel=lambda: len(seen) >= 2)
    assert len(report.moved) == 2 and [o.reason for o in report.skipped] == ["cancelled"]
    assert seen == [(1, 3), (2, 3)] and (root / "top.jpg").is_file()


def test_backup_folder_rules(tree, tmp_path):
    root, _ = tree
    with pytest.raises(BackupRootError, match="contains it"):
        check_backup_root(root, root)
    with pytest.raises(BackupRootError, match="contains it"):
        check_backup_root(root, tmp_path)
    with pytest.raises(BackupRootError, match="not empty"):
        check_backup_root(root, root / "a")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BackupRootError, match="not a folder"):
        check_backup_root(root, tmp_path / "file")
    assert check_backup_root(root, tmp_path / "new") == (tmp_path / "new").resolve()


def test_backup_inside_scanned_folder_is_marked_and_skipped_by_the_walk(tree):
    from duplicalt.photos.walk import BACKUP_MARKER as WALK_MARKER, walk

    assert WALK_MARKER == mf.BACKUP_MARKER
    root, shas = tree
    backup = root / "_duplicates"
    report = move_to_backup(cands(root, ["a/x.jpg"]), root, backup)
    assert report.ok and (backup / mf.BACKUP_MARKER).is_file()
    rels = {e.rel for e in walk(root).files}
    assert "a/x.jpg" not in rels and not any(r.startswith("_duplicates") for r in rels)
    again = move_to_backup(cands(root, ["a/y.jpg"]), root, backup)  # reused: it is marked
    assert again.ok


def test_trash_is_journalled(tree, tmp_path, monkeypatch):
    root, _ = tree
    trashed = []
    monkeypatch.setattr("duplicalt.fileactions.move._send_to_trash",
                        lambda p: (trashed.append(p), os.unlink(p)))
    report = trash_files(cands(root, ["a/x.jpg"]), root, tmp_path / "backup")
    assert report.ok and report.trash and trashed == [root / "a/x.jpg"]
    (batch,) = mf.list_backups(tmp_path / "backup")
    assert batch.mode == "trash" and batch.entries[0].state == mf.TRASHED
    assert batch.entries[0].backup is None


def test_trash_failure_leaves_the_file(tree, tmp_path, monkeypatch):
    root, shas = tree

    def refuse(path):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr("duplicalt.fileactions.move._send_to_trash", refuse)
    report = trash_files(cands(root, ["a/x.jpg"]), root, tmp_path / "backup")
    assert report.failed[0].reason == "permission denied"
    assert sha(root / "a/x.jpg") == shas["a/x.jpg"]
    assert mf.list_backups(tmp_path / "backup")[0].entries[0].state == mf.NOT_MOVED


def test_real_send2trash(tree, tmp_path, monkeypatch):
    plat = pytest.importorskip("send2trash.plat_other")
    home = tmp_path / "xdg"
    monkeypatch.setattr(plat, "XDG_DATA_HOME", os.fsencode(home))
    monkeypatch.setattr(plat, "HOMETRASH_B", os.fsencode(home / "Trash"))
    monkeypatch.setattr(plat, "HOMETRASH", os.fsdecode(home / "Trash"))
    if os.stat(tmp_path).st_dev != os.stat(os.path.expanduser("~")).st_dev:
        pytest.skip("send2trash would use a trash on the temp file system")
    root, shas = tree
    report = trash_files(cands(root, ["top.jpg"]), root, tmp_path / "backup")
    assert report.ok and not (root / "top.jpg").exists()
    assert sha(home / "Trash/files/top.jpg") == shas["top.jpg"]
