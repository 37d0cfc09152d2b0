"""Fixtures for driving the real window offscreen: a small generated photo folder,
an isolated QSettings file, and a window scanning with the tiny encoder."""
from __future__ import annotations

import shutil

import pytest

from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


@pytest.fixture()
def photo_folder(tmp_path):
    """Identical copies, resized/re-encoded versions, distinct photos, one corrupt file."""
    root = tmp_path / "photos"
    a = make_photo(1, (360, 240))
    save(a, root / "2020" / "a.jpg", quality=95)
    save(a.resize((180, 120)), root / "2020" / "a_small.jpg", quality=85)
    (root / "copies").mkdir()
    shutil.copy(root / "2020" / "a.jpg", root / "copies" / "a_copy.jpg")
    b = make_photo(2, (300, 300))
    save(b, root / "b.png")
    save(b.resize((150, 150)), root / "b_export.jpg", quality=90)
    for k in range(4):
        save(make_photo(50 + k, (320, 200)), root / "other" / f"o{k}.jpg", quality=90)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


@pytest.fixture(autouse=True)
def no_quit_question(monkeypatch):
    """Closing a window with marks not applied asks first; tests that do not answer
    that question turn it off (test_session asks it on purpose)."""
    from duplicalt.gui.session.actions import SessionActions

    monkeypatch.setattr(SessionActions, "ask_before_quit", False)


@pytest.fixture(autouse=True)
def user_data(tmp_path, monkeypatch):
    """Saved marks and "not duplicate" pairs go to the test's own folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture()
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from duplicalt.gui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))


@pytest.fixture()
def window(qtbot, settings, tmp_path):
    from duplicalt.gui.app import make_app
    from duplicalt.gui.window import MainWindow

    make_app()
    # The pixel embedder (tests/core/fake_embedder.py) groups resized copies and keeps
    # different photos apart, like a trained encoder; a random tiny ResNet finds
    # every pair similar, which would make the groups here arbitrary.
    w = MainWindow(settings, embedder_factory=PixelEmbedder,
                   cache_path=tmp_path / "cache.sqlite")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w
    w.close()
