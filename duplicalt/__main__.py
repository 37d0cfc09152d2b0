"""The ``duplicalt`` command and ``python -m duplicalt``: the window or the CLI.

``duplicalt`` alone, or with one folder (a double-clicked launcher), opens the
window; anything else is a CLI command (``duplicalt scan FOLDER``, ...). This
launcher sits above both front ends, which never import each other.
"""
from __future__ import annotations

import sys
from pathlib import Path

COMMANDS = {"scan", "apply", "restore", "train", "evaluate", "bench", "speed"}


def wants_window(argv: list[str]) -> bool:
    return not argv or (len(argv) == 1 and argv[0] not in COMMANDS and Path(argv[0]).is_dir())


def open_window(argv: list[str]) -> int:
    try:
        from duplicalt.gui.app import run
    except ImportError as exc:
        print(f"duplicalt: the window needs PySide6 ({exc}); the CLI works without it: "
              "duplicalt scan FOLDER", file=sys.stderr)
        return 1
    return run(["duplicalt", *argv])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if wants_window(argv):
        return open_window(argv)
    from duplicalt.cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
