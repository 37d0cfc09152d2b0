"""DECISIONS.json (the `scan --json` format plus marks) -> plan -> apply."""
from __future__ import annotations

import json
import os

import pytest

from duplicalt.review.decisions import (DecisionsError, apply_plan, load_decisions, make_plan,
                                        parse_decisions)
from tests.fileactions.support import decisions, file_dict, file_shas, make_files, write_json

# What `duplicalt scan --json` writes (abridged to one group), as documented.
SAMPLE = """{"version": 1, "root": "/abs/scanned/folder", "threshold": 0.9, "model": "sha256...",
 "groups": [{"id": 1, "tier": "similar",
   "files": [{"path": "/abs/scanned/folder/a/x.jpg", "rel": "a/x.jpg", "size": 123,
              "mtime_ns": 1700000000000000000, "similarity": 1.0, "width": 4032,
              "height": 3024, "format": "JPEG", "taken": "2021-05-01 10:00:00",
              "suggested": true, "reason": "highest resolution", "action": "keep"},
             {"path": "/abs/scanned/folder/a/x small.jpg", "rel": "a/x small.jpg",
              "size": 99, "mtime_ns": 1700000000000000001, "similarity": 0.97, "width": 800,
              "height": 600, "format": "JPEG", "taken": null, "suggested": false}],
   "pairs": [[0, 1, 0.97]]}],
 "unreadable": [{"path": "/abs/scanned/folder/bad.jpg", "reason": "empty file (0 bytes)"}],
 "links": [{"path": "/abs/scanned/folder/l.jpg", "target": "/x.jpg", "kind": "symlink"}]}"""


def test_sample_document_parses():
    d = parse_decisions(json.loads(SAMPLE))
    assert str(d.root) == "/abs/scanned/folder" and len(d.groups) == 1
    (keep, other) = d.groups[0].files
    assert keep.action == "keep" and keep.suggested and keep.size == 123
    assert other.action is None and other.mtime_ns == 1700000000000000001
    plan = make_plan(d, "keep-suggested")
    assert [str(c.path) for c in plan.removals] == ["/abs/scanned/folder/a/x small.jpg"]
    assert plan.removals[0].size == 99


@pytest.mark.parametrize("doc, message", [
    ([], "expected a JSON object"),
    ({"version": 2, "root": "/r", "groups": []}, "unsupported decisions version"),
    ({"version": 1, "root": "relative", "groups": []}, "absolute path"),
    ({"version": 1, "root": "/r", "groups": {}}, "must be a list"),
    ({"version": 1, "root": "/r", "groups": [{"files": [{}]}]}, "needs a \"path\""),
    ({"version": 1, "root": "/r", "groups": [{"files": [{"path": "/r/a", "action": "del"}]}]},
     "must be \"keep\" or \"remove\""),
    ({"version": 1, "root": "/r", "groups": [{"files": [{"path": "/r/a", "size": "9"}]}]},
     "must be an integer"),
])
def test_bad_documents_are_refused_clearly(doc, message):
    with pytest.raises(DecisionsError, match=message):
        parse_decisions(doc)


def test_unreadable_or_invalid_files(tmp_path):
    with pytest.raises(DecisionsError, match="cannot read"):
        load_decisions(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_bytes(b"{not json")
    with pytest.raises(DecisionsError, match="not valid JSON"):
        load_decisions(tmp_path / "bad.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DecisionsError, match="not valid JSON"):
        load_decisions(tmp_path / "bin.json")


def test_no_marks_and_no_rule_is_refused():
    d = parse_decisions(json.loads(SAMPLE.replace(', "action": "keep"', "")))
    with pytest.raises(DecisionsError, match="no keep/remove marks"):
        make_plan(d)
    with pytest.raises(DecisionsError, match="unknown rule"):
        make_plan(d, "keep-all")


def test_marks_without_rule_keep_unmarked_files(tmp_path):
    root = tmp_path / "p"
    make_files(root, ["1.jpg", "2.jpg", "3.jpg"])
    d = parse_decisions(decisions(root, [[file_dict(root, "1.jpg", True),
                                          file_dict(root, "2.jpg", action="remove"),
                                          file_dict(root, "3.jpg")]]))
    assert [c.path.name for c in make_plan(d).removals] == ["2.jpg"]


def test_a_group_is_never_emptied(tmp_path):
    root = tmp_path / "p"
    make_files(root, ["1.jpg", "2.jpg"])
    d = parse_decisions(decisions(root, [[file_dict(root, "1.jpg", action="remove"),
                                          file_dict(root, "2.jpg", action="remove")]]))
    plan = make_plan(d)
    assert plan.removals == () and len(plan.skipped) == 2
    assert "every file of group 1" in plan.skipped[0].reason


def test_rule_without_suggested_flag_uses_suggest_keeper(tmp_path):
    root = tmp_path / "p"
    make_files(root, ["small.jpg", "big.jpg"])
    d = parse_decisions(decisions(root, [[file_dict(root, "small.jpg", width=10, height=10),
                                          file_dict(root, "big.jpg", width=99, height=99)]]))
    assert [c.path.name for c in make_plan(d, "keep-suggested").removals] == ["small.jpg"]


def test_keep_in_one_group_wins_over_remove_in_another(tmp_path):
    root = tmp_path / "p"
    make_files(root, ["1.jpg", "2.jpg", "3.jpg"])
    d = parse_decisions(decisions(root, [
        [file_dict(root, "1.jpg", action="keep"), file_dict(root, "2.jpg", action="remove")],
        [file_dict(root, "3.jpg", action="keep"), file_dict(root, "1.jpg", action="remove")]]))
    plan = make_plan(d)
    assert [c.path.name for c in plan.removals] == ["2.jpg"]
    assert plan.skipped[0].reason == "also marked to keep in another group"


def test_apply_skips_a_group_whose_keeper_is_gone(tmp_path):
    root = tmp_path / "p"
    shas = make_files(root, ["k1.jpg", "r1.jpg", "k2.jpg", "r2.jpg"])
    doc = decisions(root, [[file_dict(root, "k1.jpg", True), file_dict(root, "r1.jpg")],
                           [file_dict(root, "k2.jpg", True), file_dict(root, "r2.jpg")]])
    plan = make_plan(load_decisions(write_json(tmp_path / "d.json", doc)), "keep-suggested")
    (root / "k2.jpg").unlink()
    report = apply_plan(plan, tmp_path / "backup")
    assert [o.path.name for o in report.moved] == ["r1.jpg"]
    assert "no kept file of group 2" in report.skipped[0].reason
    assert file_shas(root) == {"k1.jpg": shas["k1.jpg"], "r2.jpg": shas["r2.jpg"]}


def test_a_root_edited_to_a_parent_moves_no_non_photo(tmp_path):
    """Issue 13, item 3: only what a scan lists (photos, by content) is applied."""
    parent = tmp_path / "home"
    root = parent / "pics"
    shas = make_files(root, ["a.jpg", "b.jpg"])
    notes = parent / "notes.txt"
    notes.write_text("my notes, not a photo\n")
    doc = decisions(root, [[file_dict(root, "a.jpg", True), file_dict(root, "b.jpg")]])
    doc["root"] = os.fsdecode(parent)
    doc["groups"][0]["files"].append(file_dict(parent, "notes.txt", action="remove"))
    plan = make_plan(load_decisions(write_json(tmp_path / "d.json", doc)), "keep-suggested")
    report = apply_plan(plan, tmp_path / "backup")
    assert notes.read_text() == "my notes, not a photo\n"
    assert [o.path.name for o in report.moved] == ["b.jpg"]
    assert any("not a photo" in o.reason for o in report.skipped if o.path == notes)
    assert file_shas(tmp_path / "backup") == {"pics/b.jpg": shas["b.jpg"]}


def test_a_removal_without_the_scans_size_and_time_is_refused(tmp_path):
    root = tmp_path / "p"
    shas = make_files(root, ["1.jpg", "2.jpg"])
    loose = {"path": os.fsdecode(root / "2.jpg"), "action": "remove"}
    doc = decisions(root, [[file_dict(root, "1.jpg", action="keep"), loose]])
    report = apply_plan(make_plan(load_decisions(write_json(tmp_path / "d.json", doc))),
                        tmp_path / "backup")
    assert not report.moved and "no size and modification time" in report.skipped[0].reason
    assert file_shas(root) == shas


def test_an_identical_group_whose_bytes_now_differ_moves_nothing(tmp_path):
    """Issue 13, item 7: byte-identical groups are re-checked before moving."""
    root = tmp_path / "p"
    (root).mkdir()
    (root / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"same" * 1000)
    (root / "b.jpg").write_bytes(b"\xff\xd8\xff" + b"same" * 1000)
    doc = decisions(root, [[file_dict(root, "a.jpg", True), file_dict(root, "b.jpg")]],
                    tier="identical")
    st = (root / "b.jpg").stat()  # rewritten in place: same size, mtime put back
    (root / "b.jpg").write_bytes(b"\xff\xd8\xff" + b"diff" * 1000)
    os.utime(root / "b.jpg", ns=(st.st_atime_ns, st.st_mtime_ns))
    report = apply_plan(make_plan(parse_decisions(doc), "keep-suggested"), tmp_path / "backup")
    assert not report.moved and "no longer byte-identical" in report.skipped[0].reason, report
    assert (root / "b.jpg").read_bytes().endswith(b"diff")
    (root / "b.jpg").write_bytes(b"\xff\xd8\xff" + b"same" * 1000)  # identical again
    doc = decisions(root, [[file_dict(root, "a.jpg", True), file_dict(root, "b.jpg")]],
                    tier="identical")
    report = apply_plan(make_plan(parse_decisions(doc), "keep-suggested"), tmp_path / "backup")
    assert [o.path.name for o in report.moved] == ["b.jpg"]


def test_an_alias_path_cannot_empty_a_group(tmp_path):
    """Issue 13, item 11: sub/../a.jpg is a.jpg."""
    root = tmp_path / "p"
    shas = make_files(root, ["a.jpg", "sub/x.jpg"])
    alias = file_dict(root, "a.jpg", action="remove")
    alias["path"] = os.fsdecode(root / "sub" / ".." / "a.jpg")
    doc = decisions(root, [[file_dict(root, "a.jpg", action="keep"), alias]])
    report = apply_plan(make_plan(parse_decisions(doc)), tmp_path / "backup")
    assert not report.moved and file_shas(root) == shas


def test_a_hand_marked_hardlink_of_the_kept_photo_is_not_moved(tmp_path):
    """Issue 13, item 11: a removal that is the kept file itself (another name) stays."""
    root = tmp_path / "p"
    shas = make_files(root, ["a.jpg"])
    os.link(root / "a.jpg", root / "a-link.jpg")
    doc = decisions(root, [[file_dict(root, "a.jpg", action="keep"),
                            file_dict(root, "a-link.jpg", action="remove")]])
    report = apply_plan(make_plan(parse_decisions(doc)), tmp_path / "backup")
    assert not report.moved and "same file as a kept photo" in report.skipped[0].reason
    assert (root / "a-link.jpg").is_file() and file_shas(tmp_path / "backup") == {}
    assert file_shas(root) == {**shas, "a-link.jpg": shas["a.jpg"]}


@pytest.mark.parametrize("value, message", [(5, "must be a string"), ("/r/\x00", "NUL")])
def test_bad_paths_in_a_decisions_file_are_refused_clearly(value, message):
    with pytest.raises(DecisionsError, match=message):
        parse_decisions({"version": 1, "root": "/r", "groups": [{"files": [{"path": value}]}]})


def test_a_scan_through_a_symlinked_folder_applies(tmp_path):
    """Issue 13, item 4: root resolved, the files' paths through the link."""
    real = tmp_path / "data" / "pics"
    shas = make_files(real, ["a.jpg", "b.jpg"])
    link = tmp_path / "Pictures"
    link.symlink_to(real, target_is_directory=True)
    doc = decisions(link, [[file_dict(link, "a.jpg", True), file_dict(link, "b.jpg")]])
    doc["root"] = os.fsdecode(real)
    report = apply_plan(make_plan(parse_decisions(doc), "keep-suggested"), tmp_path / "bk")
    assert report.ok and [o.path.name for o in report.moved] == ["b.jpg"]
    assert file_shas(tmp_path / "bk") == {"b.jpg": shas["b.jpg"]}
