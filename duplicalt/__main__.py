"""The ``duplicalt`` command and ``python -m duplicalt``: the window or the CLI.

``duplicalt`` alone, or with one folder (a double-clicked launcher), opens the
window; anything else is a CLI command (``duplicalt scan FOLDER``, ...). This
launcher sits above both front ends, which never import each other.
"""
from __future__ import annotations

import sys
from pathlib import Path

def wants_window(argv: list[str]) -> bool:
    if not argv:
        return True
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        return False
    from duplicalt.cli.main import command_names  # a folder named like a command is the command

    return argv[0] not in command_names()


def open_window(argv: list[str]) -> int:
    """Open the window, or say in one line why it cannot (no display, missing system
    libraries) and return 1: never let Qt abort the process."""
    try:
        from duplicalt.gui.startup import explain_import_error, window_problem
    except ImportError as exc:
        print(f"duplicalt: the window needs PySide6 ({exc}); the command line works without "
              "it: duplicalt scan FOLDER --json OUT", file=sys.stderr)
        return 1
    problem = window_problem()
    if problem is None:
        try:
            from duplicalt.gui.app import run
        except ImportError as exc:
            problem = explain_import_error(exc)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    return run(["duplicalt", *argv])


def gui() -> int:
    """Entry point of ``duplicalt-gui`` (no console window on Windows): the window only."""
    return open_window(sys.argv[1:2])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if wants_window(argv):
        return open_window(argv)
    from duplicalt.cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
