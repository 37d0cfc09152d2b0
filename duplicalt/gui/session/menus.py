"""The window's menus and keyboard shortcuts."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut


def build(window) -> None:
    _menus(window)
    _shortcuts(window)


def _menus(window) -> None:
    file_menu = window.menuBar().addMenu("&File")
    _action(window, file_menu, "&Open folder…", QKeySequence.Open, window.choose_folder)
    _action(window, file_menu, "A&dd folder to the scan…", None, window.add_folder)
    _action(window, file_menu, "Add &reference folder (never removed)…", None,
             window.add_reference)
    _action(window, file_menu, "E&xclude folder…", None, window.exclude_folder)
    _action(window, file_menu, "Scan the &first folder alone", None, window.clear_folders)
    _action(window, file_menu, "&Scan again", QKeySequence("F5"), window.rescan)
    _action(window, file_menu, "E&xport groups (JSON or CSV)…", QKeySequence("Ctrl+E"),
             lambda: window.export_groups())
    _action(window, file_menu, "&Apply…", QKeySequence("Ctrl+Return"), window.apply)
    _action(window, file_menu, "&Put back everything from the backup folder…", None,
             window.restore_everything)
    _action(window, file_menu, "Se&ttings…", QKeySequence("Ctrl+,"), window.edit_settings)
    file_menu.addSeparator()
    _action(window, file_menu, "&Quit", QKeySequence.Quit, window.close)
    edit = window.menuBar().addMenu("&Edit")
    _action(window, edit, "&Undo", QKeySequence.Undo, window.undo)
    _action(window, edit, "Keep suggested in &every group", None, window.keep_suggested_all)
    _action(window, edit, "Selection &assistant…", QKeySequence("Ctrl+A"),
             lambda: window.selection_assistant())
    edit.addSeparator()
    _action(window, edit, "&Not a duplicate of the left photo", None,
             lambda: window.not_duplicate())
    _action(window, edit, "Not &duplicates…", None, window.show_apart)


def _action(window, menu, text: str, keys, slot) -> QAction:
    action = QAction(text, window)
    if keys is not None:
        action.setShortcut(keys)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _shortcuts(window) -> None:
    keys = {"Left": lambda: window.review.step(-1), "Right": lambda: window.review.step(1),
            "Up": lambda: window.table.step(-1), "Down": lambda: window.table.step(1),
            "K": window.keep_current, "R": window.remove_current,
            "Delete": window.remove_current, "Space": window.review.swap,
            "S": window.keep_suggested, "O": window.open_current, "F": window.reveal_current,
            "Ctrl+Shift+C": window.copy_current, "N": lambda: window.not_duplicate()}
    for key, slot in keys.items():
        QShortcut(QKeySequence(key), window, slot, context=Qt.WindowShortcut)

