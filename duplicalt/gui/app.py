"""Starting the window: ``duplicalt`` with no arguments calls ``run()``."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from duplicalt import __version__
from duplicalt.gui import theme
from duplicalt.gui.scan.warm_up import warm_up


SWITCH_INTERVAL = 0.001  # seconds


def qt_drops_references() -> bool:
    """True for a PySide6 build that loses a reference to None on every void call
    (6.12.0 on Python < 3.12): such a window crashes within a minute."""
    from PySide6.QtCore import QObject

    probe, before = QObject(), sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= 48


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
        app.setWindowIcon(QIcon(str(Path(__file__).with_name("duplicalt.svg"))))
    theme.apply(app)
    # A busy Python worker hands the GIL back to the GUI thread after at most this
    # long (default 5 ms); every Qt call the GUI thread makes may have to wait that
    # long to get back into Python, so a shorter interval keeps the window fluid.
    sys.setswitchinterval(SWITCH_INTERVAL)
    if qt_drops_references():
        print("duplicalt: warning: this PySide6 build mishandles reference counts and the "
              "window will crash; run scripts/setup.sh (it installs PySide6 < 6.12 on "
              "Python < 3.12)", file=sys.stderr)
    return app


def run(argv: list[str] | None = None) -> int:
    """Open the window (optionally on a folder given as the first argument); the exit code."""
    app = make_app(argv)
    from duplicalt.gui.window import MainWindow  # after the QApplication exists

    window = MainWindow()
    window.show()
    warm_up()
    args = [a for a in (argv or [])[1:] if not a.startswith("-")]
    if args and Path(args[0]).is_dir():
        window.start_scan(Path(args[0]))
    return app.exec()


def main() -> int:
    """Entry point of the `duplicalt-gui` launcher (no console window on Windows)."""
    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
