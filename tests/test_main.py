"""The launcher (`duplicalt`, `python -m duplicalt`) and its start-up checks: where
the window cannot open, one clear line and exit status 1, never a Qt abort."""
import os
import subprocess
import sys
from importlib.metadata import version

import pytest

from duplicalt import __main__ as launcher
from duplicalt.gui import startup


def run_launcher(args, **env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-m", "duplicalt", *args], env=env, cwd="/",
                          capture_output=True, text=True, timeout=120)


def test_version_is_the_installed_distributions():
    done = run_launcher(["--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"duplicalt {version('duplicalt')}"


def test_routing_window_or_cli(tmp_path):
    assert launcher.wants_window([]) and launcher.wants_window([str(tmp_path)])
    assert not launcher.wants_window(["scan", str(tmp_path)])
    assert not launcher.wants_window([str(tmp_path / "absent")])  # the CLI explains that one


def test_a_folder_named_like_any_command_is_that_command(tmp_path, monkeypatch):
    from duplicalt.cli.main import command_names

    monkeypatch.chdir(tmp_path)
    for name in command_names():  # every command the CLI has, not-duplicates included
        (tmp_path / name).mkdir()
        assert not launcher.wants_window([name]), name


def test_no_display_is_one_clear_line_not_an_abort():
    done = run_launcher([])
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no display" in lines[0] and "duplicalt scan FOLDER" in lines[0]


def test_unreachable_display_is_one_clear_line_not_an_abort():
    # Either the Qt X11 plugin's libraries are missing here (then the line names the
    # packages) or they are present and no X server answers on :987.
    done = run_launcher([], DISPLAY=":987")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "apt-get install" in lines[0] or "cannot connect to the display ':987'" in lines[0]


def test_missing_xcb_library_names_its_package(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"not really a plugin")
    monkeypatch.setattr(startup, "_xcb_plugin", lambda: plugin)
    absent = {str(plugin), "libxcb-cursor.so.0"}
    monkeypatch.setattr(startup, "_loads", lambda lib: "not found" if lib in absent else None)
    line = startup.xcb_problem()
    assert "libxcb-cursor.so.0" in line and "sudo apt-get install libxcb-cursor0)" in line
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":0")
    assert startup.window_problem() == line


def test_plugin_that_loads_needs_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(startup, "_xcb_plugin", lambda: tmp_path / "libqxcb.so")
    monkeypatch.setattr(startup, "_loads", lambda lib: None)
    assert startup.xcb_problem() is None


def test_a_qt_import_failure_names_the_package():
    exc = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    line = startup.explain_import_error(exc)
    assert "libEGL.so.1" in line and "apt-get install libegl1)" in line


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc:size=800x600"])
def test_platforms_without_a_display_are_not_checked(monkeypatch, platform):
    monkeypatch.setenv("QT_QPA_PLATFORM", platform)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert startup.window_problem() is None


def test_wayland_session_is_left_to_qt(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert startup.window_problem() is None


def test_gui_entry_point_checks_too(monkeypatch, capsys):
    """`duplicalt-gui` (the no-console launcher) goes through the same checks."""
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "argv", ["duplicalt-gui"])
    assert launcher.gui() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no display" in err
