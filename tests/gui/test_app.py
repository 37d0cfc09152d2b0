"""Starting the window: `duplicalt` with no arguments opens it."""
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from duplicalt.__main__ import main
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


def test_a_folder_argument_opens_the_window_on_it(qapp, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(gui_app.QApplication, "exec", staticmethod(lambda: 0))
    monkeypatch.setattr(gui_app, "warm_up", lambda: None)
    from duplicalt.gui.window import MainWindow
    monkeypatch.setattr(MainWindow, "start_scan", lambda self, folder: started.append(folder))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path))
    assert main([str(tmp_path)]) == 0
    assert started == [tmp_path]
    for w in QApplication.topLevelWidgets():
        w.close()
