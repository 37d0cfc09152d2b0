"""The journal: append-only JSON lines, torn tails, locking, replay into states."""
from __future__ import annotations

import os

import pytest

from duplicalt.fileactions import journal as mf


def move_rec(batch="b1", seq=0, src="/r/a.jpg", bk="/bk", **kw):
    bk = os.path.realpath(bk)
    rec = {"t": "move", "batch": batch, "seq": seq, "src": src, "dst": f"{bk}/{seq}.jpg",
           "tmp": f"{bk}/.duplicalt-part-{batch}-{seq}", "rel": "a.jpg", "size": 3,
           "mtime_ns": 7, "sha256": "ab"}
    rec.update(kw)
    return rec


def test_records_replay_into_states(tmp_path):
    with mf.Journal(tmp_path) as j:
        j.append({"t": "batch", "batch": "b1", "time": "t", "root": "/r", "mode": "move"})
        j.append(move_rec(seq=0, bk=tmp_path))
        j.append({"t": "moved", "batch": "b1", "seq": 0})
        j.append(move_rec(seq=1, src="/r/b.jpg", bk=tmp_path))
        j.append({"t": "unmoved", "batch": "b1", "seq": 1, "reason": "disk full"})
        j.append(move_rec(seq=2, src="/r/c.jpg", bk=tmp_path))
        j.append({"t": "end", "batch": "b1"})
    (b,) = mf.list_backups(tmp_path)
    assert [e.state for e in b.entries] == [mf.BACKED_UP, mf.NOT_MOVED, mf.MOVING]
    assert b.entries[1].note == "disk full" and not b.complete  # seq 2 is pending
    assert mf.needs_recovery(tmp_path)
    with mf.Journal(tmp_path) as j:
        j.append({"t": "moved", "batch": "b1", "seq": 2})
        j.append({"t": "restore", "batch": "b1", "seq": 0, "tmp": "/r/.duplicalt-part-b1-0"})
    (b,) = mf.list_backups(tmp_path)
    assert b.entries[0].state == mf.RESTORING
    assert str(b.entries[0].tmp) == "/r/.duplicalt-part-b1-0"
    with mf.Journal(tmp_path) as j:
        j.append({"t": "restored", "batch": "b1", "seq": 0})
    assert not mf.needs_recovery(tmp_path)


def test_torn_last_line_is_ignored_and_the_next_record_starts_a_new_line(tmp_path):
    with mf.Journal(tmp_path) as j:
        j.append({"t": "batch", "batch": "b1", "time": "t", "root": "/r", "mode": "move"})
    with open(tmp_path / mf.JOURNAL_NAME, "ab") as f:
        f.write(b'{"t":"move","batch":"b1","se')  # a crash mid-write
    assert len(mf.read_records(tmp_path)) == 1
    with mf.Journal(tmp_path) as j:
        j.append(move_rec())
    recs = mf.read_records(tmp_path)
    assert [r["t"] for r in recs] == ["batch", "move"]


def test_damaged_records_are_ignored_not_guessed(tmp_path):
    (tmp_path / mf.JOURNAL_NAME).write_bytes(
        b'{"t":"batch","batch":"b1","root":"/r"}\n[1,2]\nnot json\n'
        b'{"t":"move","batch":"b1","seq":0}\n{"t":"end","batch":"b1"}\n')
    (b,) = mf.list_backups(tmp_path)
    assert b.complete and b.entries == ()


def test_one_writer_at_a_time(tmp_path):
    with mf.Journal(tmp_path):
        with pytest.raises(mf.JournalBusy, match="another DuplicAlt process"):
            with mf.Journal(tmp_path):
                pass
    with mf.Journal(tmp_path):  # released
        pass


def test_non_utf8_paths_survive_the_journal(tmp_path):
    src = os.fsdecode(b"/r/caf\xe9.jpg")
    with mf.Journal(tmp_path) as j:
        j.append({"t": "batch", "batch": "b1", "time": "t", "root": "/r", "mode": "move"})
        j.append(move_rec(src=src, bk=tmp_path))
    assert (tmp_path / mf.JOURNAL_NAME).read_bytes().isascii()
    (b,) = mf.list_backups(tmp_path)
    assert os.fsencode(b.entries[0].original) == b"/r/caf\xe9.jpg"


def test_marker(tmp_path):
    assert not mf.is_backup_root(tmp_path)
    mf.mark_backup_root(tmp_path)
    mf.mark_backup_root(tmp_path)  # idempotent
    assert mf.is_backup_root(tmp_path) and mf.BACKUP_MARKER == ".duplicalt-backup"
    assert mf.list_backups(tmp_path) == () and not mf.needs_recovery(tmp_path)
