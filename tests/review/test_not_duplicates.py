"""The "not a duplicate" store: pairs by content digest, listed, undone, kept on disk,
a damaged file set aside rather than lost."""
from __future__ import annotations

from duplicalt.review.not_duplicates import NotDuplicates


def test_add_list_remove_and_reload(tmp_path):
    path = tmp_path / "d" / "not-duplicates.json"
    store = NotDuplicates(path)
    assert store.add("aa", "bb", ("x.jpg", "y.jpg"))
    assert not store.add("bb", "aa") and not store.add("cc", "cc")  # known; one photo twice
    assert store.pairs() == frozenset({frozenset(("aa", "bb"))})
    again = NotDuplicates(path)
    assert [(i.a, i.b, i.names) for i in again.listed()] == [("aa", "bb", ("x.jpg", "y.jpg"))]
    assert again.remove("bb", "aa") and not again.remove("aa", "bb")
    assert NotDuplicates(path).pairs() == frozenset()


def test_a_damaged_file_is_set_aside(tmp_path):
    path = tmp_path / "not-duplicates.json"
    path.write_text("{not json")
    store = NotDuplicates(path)
    assert store.pairs() == frozenset() and "could not be read" in store.problem
    assert path.with_suffix(".damaged").read_text() == "{not json"
    assert store.add("a", "b") and NotDuplicates(path).pairs()
