"""recover(): every state a crash can leave is settled with the photo in exactly
one place; a real SIGKILL at every fault point of move and restore proves it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from duplicalt.fileactions import journal as mf
from duplicalt.fileactions.move import Candidate, move_to_backup, restore
from duplicalt.fileactions.recovery import FINISHED, KEPT_BOTH, MISSING, ROLLED_BACK, recover
from tests.fileactions.support import file_shas, make_files, sha

REPO = Path(__file__).resolve().parents[2]


def pending_move(tmp_path: Path, content: bytes = b"photo bytes"):
    """A journal with one 'move' record and no outcome; (root, backup, src, dst, tmp)."""
    root, backup = tmp_path / "photos", tmp_path / "backup"
    root.mkdir()
    backup.mkdir()
    mf.mark_backup_root(backup)
    src, dst, tmp = root / "a.jpg", backup / "a.jpg", backup / f"{mf.PART_PREFIX}b1-0"
    src.write_bytes(content)
    with mf.Journal(backup) as j:
        j.append({"t": "batch", "batch": "b1", "time": "t", "root": str(root), "mode": "move"})
        j.append({"t": "move", "batch": "b1", "seq": 0, "src": str(src), "dst": str(dst),
                  "tmp": str(tmp), "rel": "a.jpg", "size": len(content),
                  "mtime_ns": src.stat().st_mtime_ns, "sha256": sha(src)})
    return root, backup, src, dst, tmp


def settle(backup):
    report = recover(backup)
    assert not mf.needs_recovery(backup)
    (r,) = report.settled + report.problems
    return r, mf.list_backups(backup)[0].entries[0].state


def test_nothing_done_yet_rolls_back(tmp_path):
    _, backup, src, dst, _ = pending_move(tmp_path)
    r, state = settle(backup)
    assert (r.action, state) == (ROLLED_BACK, mf.NOT_MOVED) and src.exists() and not dst.exists()


def test_hardlinked_but_source_not_removed_finishes(tmp_path):
    _, backup, src, dst, _ = pending_move(tmp_path)
    os.link(src, dst)
    r, state = settle(backup)
    assert (r.action, state) == (FINISHED, mf.BACKED_UP) and not src.exists()
    assert dst.read_bytes() == b"photo bytes"


def test_partial_temporary_copy_is_deleted_and_rolled_back(tmp_path):
    _, backup, src, dst, tmp = pending_move(tmp_path)
    tmp.write_bytes(b"photo")
    r, state = settle(backup)
    assert (r.action, state) == (ROLLED_BACK, mf.NOT_MOVED)
    assert not tmp.exists() and src.read_bytes() == b"photo bytes"


def test_verified_copy_published_but_source_not_removed_finishes(tmp_path):
    _, backup, src, dst, tmp = pending_move(tmp_path)
    dst.write_bytes(b"photo bytes")
    tmp.write_bytes(b"photo bytes")  # crash between link(tmp, dst) and unlink(tmp)
    r, state = settle(backup)
    assert (r.action, state) == (FINISHED, mf.BACKED_UP) and not src.exists() and not tmp.exists()


def test_only_the_target_left_is_finished(tmp_path):
    _, backup, src, dst, _ = pending_move(tmp_path)
    os.rename(src, dst)
    r, state = settle(backup)
    assert (r.action, state) == (FINISHED, mf.BACKED_UP)


def test_a_verified_temporary_copy_that_is_the_last_copy_is_kept(tmp_path):
    _, backup, src, dst, tmp = pending_move(tmp_path)
    os.rename(src, tmp)  # cannot happen through move_to_backup; recovery still keeps it
    r, state = settle(backup)
    assert state == mf.BACKED_UP and dst.read_bytes() == b"photo bytes" and not tmp.exists()


def test_source_changed_keeps_both(tmp_path):
    _, backup, src, dst, _ = pending_move(tmp_path)
    dst.write_bytes(b"photo bytes")
    src.write_bytes(b"edited by the user meanwhile")
    r, state = settle(backup)
    assert (r.action, state) == (KEPT_BOTH, mf.NOT_MOVED) and src.exists() and dst.exists()


def test_missing_everywhere_is_reported(tmp_path):
    _, backup, src, _, _ = pending_move(tmp_path)
    src.unlink()
    r, state = settle(backup)
    assert r.action == MISSING and "not found" in r.detail


def test_unavailable_scanned_folder_is_left_pending(tmp_path):
    root, backup, *_ = pending_move(tmp_path)
    root.rename(tmp_path / "unplugged")
    report = recover(backup)
    assert report.problems[0].action == "left pending" and mf.needs_recovery(backup)


def test_interrupted_restore_is_settled(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, ["a.jpg"])
    backup = tmp_path / "backup"
    move_to_backup([Candidate(root / "a.jpg")], root, backup)
    (e,) = mf.list_backups(backup)[0].entries
    tmp = root / f"{mf.PART_PREFIX}{e.batch}-0"
    with mf.Journal(backup) as j:
        j.append({"t": "restore", "batch": e.batch, "seq": 0, "tmp": str(tmp)})
    tmp.write_bytes(b"half")
    recover(backup)
    assert not tmp.exists() and mf.list_backups(backup)[0].entries[0].state == mf.BACKED_UP
    assert restore(backup).ok and file_shas(root) == shas


CHILD = """
import sys
from pathlib import Path
from duplicalt.fileactions.move import Candidate, move_to_backup, restore
mode, root, backup = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode.startswith("move"):
    move_to_backup([Candidate(p) for p in sorted(root.rglob("*.jpg"))], root, backup,
                   force_copy=mode == "move-copy")
else:
    restore(backup, force_copy=mode == "restore-copy")
"""


def run_child(mode, root, backup, fault_at):
    env = dict(os.environ, DUPLICALT_FAULT_AT=str(fault_at),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", CHILD, mode, str(root), str(backup)],
                          env=env, capture_output=True, timeout=60).returncode


def check_exactly_once(root, backup, shas):
    place, kept = file_shas(root), file_shas(backup)
    assert sorted(list(place.values()) + list(kept.values())) == sorted(shas.values())
    for rel, digest in place.items():
        assert shas[rel] == digest  # in place means at its own path
    leftovers = [p for p in list(root.rglob("*")) + list(backup.rglob("*"))
                 if p.name.startswith(mf.PART_PREFIX)]
    assert not leftovers


@pytest.mark.parametrize("mode", ["move-link", "move-copy", "restore-link", "restore-copy"])
def test_sigkill_at_every_fault_point(tmp_path, mode):
    """Kill the mover at fault point 1, 2, ... until a run completes; after each kill
    every photo exists somewhere, and after recover() in exactly one place."""
    kills = 0
    for n in range(1, 60):
        work = tmp_path / f"run{n}"
        root, backup = work / "photos", work / "backup"
        shas = make_files(root, ["a/1.jpg", "b/2.jpg"], seed=n)
        if mode.startswith("restore"):
            move_to_backup([Candidate(p) for p in sorted(root.rglob("*.jpg"))], root, backup)
        rc = run_child(mode, root, backup, n)
        if rc == 0:
            break
        assert rc == -9, f"child failed at fault point {n} (rc {rc})"
        kills += 1
        seen = sorted(set(file_shas(root).values()) | set(file_shas(backup).values()))
        assert seen == sorted(shas.values()), f"a photo was in neither place after kill {n}"
        report = recover(backup)
        assert report.clean and not mf.needs_recovery(backup)
        check_exactly_once(root, backup, shas)
        assert restore(backup).ok and file_shas(root) == shas  # and all can come back
    assert kills >= {"move-link": 8, "move-copy": 12}.get(mode, 4), kills
