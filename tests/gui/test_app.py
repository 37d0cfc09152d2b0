"""Starting the window: `duplicalt` with no arguments opens it."""
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from duplicalt.cli import main
from duplicalt.gui import app as gui_app

pytestmark = pytest.mark.gui


def test_no_arguments_opens_the_window(qapp, tmp_path, monkeypatch):
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path))
    seen = {}

    def fake_exec():
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        seen["titles"] = [w.windowTitle() for w in windows]
        for w in windows:
            w.close()
        return 0

    monkeypatch.setattr(gui_app.QApplication, "exec", staticmethod(fake_exec))
    monkeypatch.setattr(gui_app, "warm_up", lambda: None)
    assert main([]) == 0
    assert "DuplicAlt" in seen["titles"]
