"""Starting the window: ``duplicalt`` with no arguments calls ``run()``."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from duplicalt import __version__
from duplicalt.gui import theme


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), named and themed."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setOrganizationName("DuplicAlt")
        QCoreApplication.setApplicationName("DuplicAlt")
        QCoreApplication.setApplicationVersion(__version__)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        QGuiApplication.setDesktopFileName("duplicalt")
    theme.apply(app)
    return app


def warm_up() -> None:
    """Import torch and the model code in the background while the window opens,
    so the first scan starts at once (and the import is not a GUI-thread stall)."""
    def body() -> None:
        try:
            import duplicalt.ml.embed  # noqa: F401 - torch is the slow part
        except Exception:  # reported later, when a scan needs the model
            pass

    threading.Thread(target=body, name="duplicalt-warm-up", daemon=True).start()


def run(argv: list[str] | None = None) -> int:
    """Open the window (optionally on a folder given as the first argument); the exit code."""
    app = make_app(argv)
    from duplicalt.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    warm_up()
    args = [a for a in (argv or [])[1:] if not a.startswith("-")]
    if args and Path(args[0]).is_dir():
        window.start_scan(Path(args[0]))
    return app.exec()


if __name__ == "__main__":
    sys.exit(run(sys.argv))
