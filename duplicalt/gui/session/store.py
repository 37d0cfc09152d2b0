"""Marks kept between runs: every Keep / Remove is written to a small JSON file
for the scanned folders as it is made, and read back when those folders are
scanned again (plain Python, no Qt)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from platformdirs import user_data_dir

VERSION = 1


def default_dir() -> Path:
    return Path(user_data_dir("duplicalt", appauthor=False)) / "sessions"


class MarksStore:
    """The saved marks of one set of folders (a file named by their paths)."""

    def __init__(self, folder: Path | None, roots: Iterable[Path]) -> None:
        self.roots = [Path(r) for r in roots]
        key = hashlib.sha1("\n".join(sorted(str(r) for r in self.roots)).encode()).hexdigest()
        self.path = (Path(folder) if folder else default_dir()) / f"marks-{key[:16]}.json"
        self.problem: str | None = None

    def load(self) -> dict[Path, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {Path(p): m for p, m in data.get("marks", {}).items()
                    if m in ("keep", "remove")}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError) as exc:
            self.problem = f"saved marks could not be read ({exc})"
            return {}

    def save(self, marks: dict[Path, str]) -> None:
        """Write the marks now (atomically); an unwritable data folder is reported once."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".part")
            tmp.write_text(json.dumps({"version": VERSION, "roots": [str(r) for r in self.roots],
                                       "marks": {str(p): m for p, m in marks.items()}}) + "\n",
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.problem = f"marks could not be saved ({exc.strerror or exc})"
