import sqlite3

import pytest

from duplicalt.photos.cache_file import APP_ID, ForeignDatabase, app_id, check_ours, foreign


def test_only_nothing_an_empty_file_or_an_sqlite_file_may_be_opened(tmp_path):
    assert foreign(tmp_path / "absent.sqlite") == ""
    (tmp_path / "empty").write_bytes(b"")
    assert foreign(tmp_path / "empty") == ""
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a database")
    assert "not an SQLite file" in foreign(tmp_path / "photo.jpg")
    assert "not a file" in foreign(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert "symlink" in foreign(tmp_path / "link")


def test_another_programs_database_is_refused_and_ours_passes(tmp_path):
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE notes (text TEXT)")
    other.commit()
    with pytest.raises(ForeignDatabase):
        check_ours(other)
    ours = sqlite3.connect(tmp_path / "ours.sqlite")
    ours.execute(f"PRAGMA application_id={APP_ID}")
    ours.execute("CREATE TABLE meta (key TEXT)")
    ours.commit()
    check_ours(ours)  # no exception
    ours.close()
    assert app_id(tmp_path / "ours.sqlite") == APP_ID
    assert app_id(tmp_path / "other.sqlite") == 0
