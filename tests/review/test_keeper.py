"""suggest_keeper: resolution, then file size, then EXIF date, then shorter path."""
from __future__ import annotations

from pathlib import Path

import pytest

from duplicalt.review.keeper import KeeperFacts, suggest_keeper
from duplicalt.photos.types import FileEntry, PhotoInfo
from duplicalt.pairing.types import Member


def f(rel="a.jpg", size=100, w=10, h=10, taken=None):
    return KeeperFacts(rel, size, w, h, taken)


@pytest.mark.parametrize("members, expected", [
    ([f(w=10), f(w=20)], (1, "highest resolution")),
    ([f(size=300), f(size=100, taken="2020-01-01 00:00:00")], (0, "largest file")),
    ([f(), f(taken="2020-01-01 00:00:00")], (1, "has EXIF date")),
    ([f(rel="deep/copy/a.jpg"), f(rel="a.jpg")], (1, "shortest path")),
    ([f(rel="b.jpg"), f(rel="a.jpg")], (1, "first by name")),
    ([f()], (0, "only file")),
])
def test_criteria_in_order(members, expected):
    assert suggest_keeper(members) == expected


def test_resolution_beats_size_and_date():
    members = [f(w=100, h=100, size=10), f(w=50, h=50, size=10**6, taken="2021-01-01 10:00:00")]
    assert suggest_keeper(members) == (0, "highest resolution")


def test_accepts_scan_members_and_json_dicts():
    def member(rel, size, w, h, taken=None):
        entry = FileEntry(Path("/r") / rel, rel, size, 1, "jpeg")
        return Member(entry, PhotoInfo(w, h, "JPEG", taken), 1.0)

    assert suggest_keeper([member("a.jpg", 10, 8, 8), member("b.jpg", 5, 16, 16)]) == (
        1, "highest resolution")
    no_info = Member(FileEntry(Path("/r/c.jpg"), "c.jpg", 10, 1, "jpeg"), None, 1.0)
    assert suggest_keeper([no_info, member("b.jpg", 5, 16, 16)])[0] == 1
    dicts = [{"rel": "x.jpg", "size": 5, "width": None, "height": None, "taken": None},
             {"rel": "y.jpg", "size": 9, "width": None, "height": None, "taken": None}]
    assert suggest_keeper(dicts) == (1, "largest file")


def test_empty_group_is_an_error():
    with pytest.raises(ValueError):
        suggest_keeper([])
