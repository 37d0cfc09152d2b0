"""`duplicalt apply` and `duplicalt restore`: summaries, dry runs, exit codes."""
from __future__ import annotations

import argparse
import os

import pytest

from duplicalt.cli.actions import add_apply_parser, add_restore_parser
from duplicalt.fileactions import journal as mf
from tests.fileactions.support import decisions, file_dict, file_shas, make_files, write_json


def run(argv) -> int:
    parser = argparse.ArgumentParser(prog="duplicalt")
    sub = parser.add_subparsers(dest="command")
    add_apply_parser(sub)
    add_restore_parser(sub)
    args = parser.parse_args([os.fsdecode(a) for a in argv])
    return args.func(args)


@pytest.fixture
def scanned(tmp_path):
    root = tmp_path / "photos"
    shas = make_files(root, ["a/keep.jpg", "a/copy.jpg", "b/keep.png", "b/copy.png"])
    doc = decisions(root, [[file_dict(root, "a/keep.jpg", True), file_dict(root, "a/copy.jpg")],
                           [file_dict(root, "b/keep.png", True), file_dict(root, "b/copy.png")]])
    return root, write_json(tmp_path / "decisions.json", doc), shas


def test_apply_dry_run_then_apply_then_restore(scanned, tmp_path, capsys):
    root, dec, shas = scanned
    backup = tmp_path / "backup"
    assert run(["apply", dec, "--backup", backup, "--rule", "keep-suggested", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run: would move 2 photo(s)" in out and "a/copy.jpg ->" in out
    assert not backup.exists() and file_shas(root) == shas
    assert run(["apply", dec, "--backup", backup, "--rule", "keep-suggested"]) == 0
    out = capsys.readouterr().out
    assert "Moved 2 photo(s)" in out and "Undo with: duplicalt restore" in out
    assert set(file_shas(backup)) == {"a/copy.jpg", "b/copy.png"}
    assert run(["restore", backup, "--list"]) == 0
    assert "[backed-up] a/copy.jpg" in capsys.readouterr().out
    assert run(["restore", backup, "--dry-run"]) == 0
    assert "would restore 2" in capsys.readouterr().out and not (root / "a/copy.jpg").exists()
    assert run(["restore", backup, "--only", "b/copy.png"]) == 0
    assert "Restored 1 photo(s)" in capsys.readouterr().out
    assert run(["restore", backup]) == 0
    assert file_shas(root) == shas


def test_exit_code_1_when_files_are_skipped(scanned, tmp_path, capsys):
    root, dec, _ = scanned
    (root / "a/copy.jpg").write_bytes(b"edited since the scan")
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested"]) == 1
    captured = capsys.readouterr()
    assert "1 skipped" in captured.out
    assert "skipped: " in captured.err and "changed since the scan" in captured.err


@pytest.mark.parametrize("extra, message", [
    ([], "no keep/remove marks"),
    (["--rule", "keep-suggested", "--no-such-flag"], None),
])
def test_usage_errors_exit_2(scanned, tmp_path, capsys, extra, message):
    _, dec, _ = scanned
    if message is None:
        with pytest.raises(SystemExit) as exc:
            run(["apply", dec, "--backup", tmp_path / "bk"] + extra)
        assert exc.value.code == 2
        return
    assert run(["apply", dec, "--backup", tmp_path / "bk"] + extra) == 2
    assert message in capsys.readouterr().err


def test_bad_backup_and_bad_decisions_exit_2(scanned, tmp_path, capsys):
    root, dec, shas = scanned
    assert run(["apply", dec, "--backup", root, "--rule", "keep-suggested"]) == 2
    assert "contains it" in capsys.readouterr().err
    assert run(["apply", dec, "--backup", root / "a", "--rule", "keep-suggested"]) == 2
    assert "not empty and is not a DuplicAlt backup" in capsys.readouterr().err
    (tmp_path / "x.json").write_text("[]")
    assert run(["apply", tmp_path / "x.json", "--backup", tmp_path / "bk"]) == 2
    assert "expected a JSON object" in capsys.readouterr().err
    assert run(["restore", tmp_path]) == 2
    assert "not a DuplicAlt backup folder" in capsys.readouterr().err
    assert file_shas(root) == shas


def test_restore_only_that_matches_nothing_exits_2(scanned, tmp_path, capsys):
    _, dec, _ = scanned
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested"]) == 0
    assert run(["restore", tmp_path / "bk", "--only", "nope/*.jpg"]) == 2
    assert "nothing in the backup matches" in capsys.readouterr().err


def test_restore_reports_files_that_would_be_overwritten(scanned, tmp_path, capsys):
    root, dec, _ = scanned
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested"]) == 0
    (root / "a/copy.jpg").write_bytes(b"new")
    assert run(["restore", tmp_path / "bk"]) == 1
    err = capsys.readouterr().err
    assert "a/copy.jpg: a file now exists at the original path; not overwritten" in err


def test_trash_option(scanned, tmp_path, capsys, monkeypatch):
    root, dec, _ = scanned
    monkeypatch.setattr("duplicalt.fileactions.move._send_to_trash", lambda p: os.unlink(p))
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested",
                "--trash"]) == 0
    assert "Moved 2 photo(s) to the trash" in capsys.readouterr().out
    assert mf.list_backups(tmp_path / "bk")[0].mode == "trash"


def test_interrupted_batch_is_recovered_and_reported(scanned, tmp_path, capsys):
    root, dec, _ = scanned
    backup = tmp_path / "bk"
    backup.mkdir()
    mf.mark_backup_root(backup)
    with mf.Journal(backup) as j:  # a batch killed right after journalling its intent
        j.append({"t": "batch", "batch": "old", "time": "t", "root": str(root), "mode": "move"})
        st = (root / "a/keep.jpg").stat()
        j.append({"t": "move", "batch": "old", "seq": 0, "src": str(root / "a/keep.jpg"),
                  "dst": str(backup / "a/keep.jpg"), "tmp": str(backup / ".duplicalt-part-old-0"),
                  "rel": "a/keep.jpg", "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                  "sha256": "0" * 64})
    assert run(["apply", dec, "--backup", backup, "--rule", "keep-suggested", "--dry-run"]) == 0
    assert "interrupted batch" in capsys.readouterr().out
    assert run(["apply", dec, "--backup", backup, "--rule", "keep-suggested"]) == 0
    assert "Recovered 1 interrupted batch(es) first" in capsys.readouterr().out
    assert (root / "a/keep.jpg").is_file()


def test_non_utf8_names_print(tmp_path, capsys):
    if os.uname().sysname == "Darwin":
        pytest.skip("needs a file system that stores arbitrary bytes")
    root = tmp_path / "photos"
    bad = os.fsdecode(b"caf\xe9.jpg")
    make_files(root, ["keep.jpg", bad])
    doc = decisions(root, [[file_dict(root, "keep.jpg", True), file_dict(root, bad)]])
    dec = write_json(tmp_path / "d.json", doc)
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested",
                "--dry-run"]) == 0
    assert "caf\\xe9.jpg" in capsys.readouterr().out


def test_wired_into_the_main_cli(scanned, tmp_path, capsys):
    from duplicalt.cli.main import main

    _, dec, _ = scanned
    assert main(["apply", str(dec), "--backup", str(tmp_path / "bk"), "--rule",
                 "keep-suggested", "--dry-run"]) == 0
    assert "would move 2" in capsys.readouterr().out


@pytest.mark.parametrize("path, message", [
    (5, "must be a string, not int"),
    ("/r/a\x00.jpg", "NUL character"),
    (["a.jpg"], "must be a string, not list"),
])
def test_hostile_decision_paths_are_messages_not_tracebacks(tmp_path, capsys, path, message):
    """Issue 13, item 10."""
    doc = {"version": 1, "root": os.fsdecode(tmp_path), "groups": [
        {"id": 1, "files": [{"path": path, "size": 1, "mtime_ns": 1, "action": "remove"}]}]}
    dec = write_json(tmp_path / "d.json", doc)
    assert run(["apply", dec, "--backup", tmp_path / "bk"]) == 2
    assert message in capsys.readouterr().err


def test_deeply_nested_json_is_a_message(tmp_path, capsys):
    dec = tmp_path / "deep.json"
    dec.write_text("[" * 200_000 + "]" * 200_000)
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_decisions_path_with_a_nul_byte_is_a_message(tmp_path, capsys):
    assert run(["apply", "d\x00.json", "--backup", tmp_path / "bk", "--rule",
                "keep-suggested"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_restore_after_trash_says_where_the_photos_are(scanned, tmp_path, capsys, monkeypatch):
    """Issue 13, item 11: `apply --trash` then `restore` explains "restored 0"."""
    _, dec, _ = scanned
    monkeypatch.setattr("duplicalt.fileactions.move._send_to_trash", lambda p: os.unlink(p))
    assert run(["apply", dec, "--backup", tmp_path / "bk", "--rule", "keep-suggested",
                "--trash"]) == 0
    capsys.readouterr()
    assert run(["restore", tmp_path / "bk"]) == 0
    out = capsys.readouterr().out
    assert "Restored 0 photo(s)" in out and "2 photo(s) of this backup were sent to the " \
        "system trash" in out
    assert run(["restore", tmp_path / "bk", "--only", "a/copy.jpg"]) == 2
    assert "1 photo(s) of this backup were sent to the system trash" in capsys.readouterr().out
