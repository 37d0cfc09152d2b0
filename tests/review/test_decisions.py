"""DECISIONS.json (the `scan --json` format plus marks) -> plan -> apply."""
from __future__ import annotations

import json

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
