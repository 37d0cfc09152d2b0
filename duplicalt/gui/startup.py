"""Before Qt starts: is there a display, and can Qt's platform plugin load?

Qt aborts the whole process (SIGABRT) when it cannot connect to a display or
load its platform plugin (on Linux often for want of ``libxcb-cursor0``). These
checks run first and turn both into one line saying what to do. They import
nothing from Qt but QtCore (to find the plugin folder), so they work even where
QtGui itself cannot load.
"""
from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

# Shared libraries Qt 6's xcb plugin (and QtGui below it) loads from the system,
# with the Debian/Ubuntu package holding each.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1", "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
CLI_HINT = "the command line works without it: duplicalt scan FOLDER --json OUT"


def _loads(library: str) -> str | None:
    """None if the shared library loads, else the loader's message."""
    try:
        ctypes.CDLL(library)
    except OSError as exc:
        return str(exc)
    return None


def missing_packages(libraries) -> list[str]:
    return sorted({XCB_LIBRARIES.get(lib, lib) for lib in libraries})


def install_line(libraries) -> str:
    """One line naming what to install for these missing shared libraries."""
    names = sorted(set(libraries))
    return (f"duplicalt: the window needs system libraries that are missing ({', '.join(names)}); "
            f"install them (Debian/Ubuntu: sudo apt-get install {' '.join(missing_packages(names))}); "
            + CLI_HINT)


def explain_import_error(exc: BaseException) -> str:
    """The line for a Qt import that failed (a missing libEGL.so.1, ...)."""
    found = re.findall(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object", str(exc))
    if found:
        return install_line(found)
    return f"duplicalt: the window cannot start ({exc}); " + CLI_HINT


def qt_platform() -> str:
    """The platform plugin Qt is asked for ('' when Qt chooses)."""
    return os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()


def _xcb_plugin() -> Path | None:
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    plugin = folder / "libqxcb.so"
    return plugin if plugin.is_file() else None


def xcb_problem() -> str | None:
    """A line if the xcb plugin cannot load for want of system libraries."""
    plugin = _xcb_plugin()
    if plugin is None:
        return None
    error = _loads(str(plugin))
    if error is None:
        return None
    missing = [lib for lib in XCB_LIBRARIES if _loads(lib) is not None]
    if missing:
        return install_line(missing)
    return f"duplicalt: Qt's X11 platform plugin does not load ({error}); " + CLI_HINT


NO_DISPLAY = ("duplicalt: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
              "unset); start it from a desktop session, or " + CLI_HINT)


def connection_problem(display: str) -> str | None:
    """A line if no X server answers on ``display`` (Qt would abort there)."""
    if _loads("libxcb.so.1") is not None:
        return None  # xcb_problem() names the missing library
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode() or None, None)
    failed = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    if failed:
        return (f"duplicalt: cannot connect to the display {display!r} (is the X server running, "
                "and may this user use it?); " + CLI_HINT)
    return None


def window_problem() -> str | None:
    """Why the window cannot open here, as one line; None when it can (or when Qt
    is told to use a platform that needs no display, such as offscreen)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = qt_platform()
    if platform not in ("", "xcb", "wayland"):
        return None
    display, wayland = os.environ.get("DISPLAY", ""), os.environ.get("WAYLAND_DISPLAY", "")
    if not display and not wayland:
        return NO_DISPLAY
    if platform == "wayland" or (platform == "" and wayland):
        return None  # Qt takes the Wayland plugin (and falls back to X11 itself)
    return xcb_problem() or connection_problem(display)
