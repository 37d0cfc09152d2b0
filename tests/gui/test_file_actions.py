"""The window's apply path: byte-identical copies are re-checked against the kept photo."""
import os

from duplicalt.gui import file_actions
from duplicalt.pairing.types import IDENTICAL, SIMILAR, Group, Member
from duplicalt.photos.types import FileEntry


def entry(path, root):
    st = path.stat()
    return FileEntry(path, path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns, "jpeg",
                     root=root)


def twins(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    a, b = root / "a.jpg", root / "b.jpg"
    a.write_bytes(b"\xff\xd8same bytes" * 100)
    b.write_bytes(a.read_bytes())
    return root, entry(a, root), entry(b, root)


def test_same_as_names_the_kept_photos_of_identical_groups_and_copies(tmp_path):
    root, ea, eb = twins(tmp_path)
    c = root / "c.jpg"
    c.write_bytes(b"other")
    ec = entry(c, root)
    groups = [Group(IDENTICAL, (Member(ea, None, 1.0), Member(eb, None, 1.0))),
              Group(SIMILAR, (Member(ec, None, 1.0), Member(eb, None, 0.9, copy_of=ea.path)))]
    assert file_actions.kept_twins(groups, [eb]) == {eb.path: (ea.path,)}
    assert file_actions.kept_twins(groups, [ea, eb]) == {}  # nothing kept to compare with
    only_similar = groups[1:]
    assert file_actions.kept_twins(only_similar, [eb]) == {eb.path: (ea.path,)}
    assert file_actions.kept_twins(only_similar, [ec]) == {}


def test_a_copy_whose_kept_twin_changed_is_not_moved(tmp_path):
    root, ea, eb = twins(tmp_path)
    backup = tmp_path / "backup"
    st = ea.path.stat()
    ea.path.write_bytes(b"\xff\xd8edit bytes" * 100)  # same size, mtime put back
    os.utime(ea.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    report, _ = file_actions.apply_roots([(root, backup, [eb])], trash=False,
                                         same_as={eb.path: (ea.path,)})
    assert not report.moved and eb.path.exists()
    assert report.skipped or report.failed


def test_an_unchanged_copy_is_moved(tmp_path):
    root, ea, eb = twins(tmp_path)
    backup = tmp_path / "backup"
    report, _ = file_actions.apply_roots([(root, backup, [eb])], trash=False,
                                         same_as={eb.path: (ea.path,)})
    assert [o.path for o in report.moved] == [eb.path]
    assert not eb.path.exists() and (backup / "b.jpg").exists() and ea.path.exists()
