"""The right-click menu of a photo under review, and what its entries do: reveal
it in the file manager, open it in the default viewer, copy its path, say it is
not a duplicate of the photo beside it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

KEYS = {"open": "O", "reveal": "F", "copy": "Ctrl+Shift+C", "apart": "N"}


def open_file(path: Path) -> bool:
    """Open in the system's default viewer."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def reveal(path: Path) -> bool:
    """Show the file selected in the file manager (its folder where that cannot be done)."""
    path = Path(path)
    try:
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])
            return True
        if os.name == "nt":
            subprocess.Popen(["explorer", f"/select,{path}"])
            return True
        if _freedesktop_show(path):
            return True
    except OSError:
        pass
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def _freedesktop_show(path: Path) -> bool:
    """org.freedesktop.FileManager1.ShowItems over D-Bus (Nautilus, Dolphin, Nemo...)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", bus)
    if not iface.isValid():
        return False
    reply = iface.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
    return not reply.errorMessage()


def copy_path(path: Path) -> None:
    QGuiApplication.clipboard().setText(str(path))


def photo_menu(parent: QWidget, path: Path, actions: dict[str, Callable[[], None]],
               apart_enabled: bool) -> QMenu:
    """The menu for one photo; ``actions`` maps open/reveal/copy/apart/keep/remove to slots."""
    menu = QMenu(parent)
    menu.setObjectName("photo-menu")
    entries = [("open", "Open in the default viewer"), ("reveal", "Show in the file manager"),
               ("copy", "Copy the path"), (None, None),
               ("keep", "Keep"), ("remove", "Remove"), (None, None),
               ("apart", "Not a duplicate of the other photo")]
    keys = {**KEYS, "keep": "K", "remove": "R"}
    for key, text in entries:
        if key is None:
            menu.addSeparator()
            continue
        action = QAction(f"{text}\t{keys[key]}", menu)
        action.setObjectName(key)
        action.triggered.connect(actions[key])
        action.setEnabled(key != "apart" or apart_enabled)
        menu.addAction(action)
    menu.setToolTip(str(path))
    return menu
