"""The scan's seal: apply moves only files that this user's own scan listed in a group
(issue 13 item 3: an edited "root" or added files must not widen what is moved)."""
from __future__ import annotations

import json
import os

import pytest

from duplicalt.cli.main import main as cli
from duplicalt.review import report
from duplicalt.review.decisions import DecisionsError, load_decisions
from duplicalt.review.seal import key_path, seal_problem
from duplicalt.scan.pipeline import scan
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


def scanned(tmp_path):
    """parent/photos/{a,b}.jpg (a group) and parent/notes.txt outside the scanned folder."""
    parent = tmp_path / "parent"
    photos = parent / "photos"
    photo = make_photo(7, (320, 240))
    save(photo, photos / "a.jpg", quality=95)
    save(photo.resize((160, 120)), photos / "b.jpg", quality=80)
    (parent / "notes.txt").write_text("the user's notes\n")
    save(photo, parent / "outside.jpg", quality=90)  # a photo of the user's, never scanned
    result = scan([photos], PixelEmbedder(), 0.97)
    out = tmp_path / "scan.json"
    report.write_json(result, out)
    return parent, out


def test_the_scans_own_file_loads_and_marks_may_be_added(tmp_path):
    _, out = scanned(tmp_path)
    doc = json.loads(out.read_text())
    assert seal_problem(doc) is None
    doc["groups"][0]["files"][1]["action"] = "remove"
    out.write_text(json.dumps(doc))
    assert len(load_decisions(out).groups) == 1
    assert oct(key_path().stat().st_mode & 0o777) == "0o600"


def test_an_edited_root_and_an_added_file_are_refused_and_nothing_moves(tmp_path, capsys):
    parent, out = scanned(tmp_path)
    doc = json.loads(out.read_text())
    doc["root"] = doc["roots"][0] = str(parent)
    for name in ("notes.txt", "outside.jpg"):
        st = (parent / name).stat()
        doc["groups"][0]["files"].append({"path": str(parent / name), "rel": name,
                                          "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                          "action": "remove"})
    out.write_text(json.dumps(doc))
    with pytest.raises(DecisionsError, match="changed after the scan"):
        load_decisions(out)
    assert cli(["apply", str(out), "--backup", str(tmp_path / "bk"),
                "--rule", "keep-suggested"]) == 2
    assert "changed after the scan" in capsys.readouterr().err
    assert (parent / "notes.txt").read_text() == "the user's notes\n"
    assert (parent / "outside.jpg").exists() and not (tmp_path / "bk").exists()


@pytest.mark.parametrize("edit", ["size", "mtime_ns", "path"])
def test_any_edited_file_field_breaks_the_seal(tmp_path, edit):
    _, out = scanned(tmp_path)
    doc = json.loads(out.read_text())
    f = doc["groups"][0]["files"][0]
    f[edit] = f[edit] + 1 if edit != "path" else f[edit] + ".other"
    assert "changed after the scan" in seal_problem(doc)


def test_an_unsealed_file_needs_the_explicit_flag(tmp_path, capsys):
    _, out = scanned(tmp_path)
    doc = json.loads(out.read_text())
    del doc["seal"]
    out.write_text(json.dumps(doc))
    with pytest.raises(DecisionsError, match="--unsealed"):
        load_decisions(out)
    assert load_decisions(out, unsealed=True).groups
    assert cli(["apply", str(out), "--backup", str(tmp_path / "bk"), "--rule", "keep-suggested",
                "--unsealed", "--dry-run"]) == 0


def test_another_users_seal_cannot_be_checked(tmp_path, monkeypatch):
    _, out = scanned(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "someone-else"))
    assert "another user or machine" in seal_problem(json.loads(out.read_text()))
    os.makedirs(key_path().parent)
    key_path().write_bytes(b"x" * 32)  # a different key
    assert "changed after the scan" in seal_problem(json.loads(out.read_text()))
