"""Pairs of photos the user said are not duplicates, remembered by content.

Each pair is the two photos' content digests (the scan's blake2b of the bytes),
so it holds after a rename or a move; the CLI scan and the window both honour
it. Kept as a small JSON file in the user's data folder, rewritten atomically;
every entry can be listed and undone.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

VERSION = 1


def default_path() -> Path:
    return Path(user_data_dir("duplicalt", appauthor=False)) / "not-duplicates.json"


@dataclass(frozen=True)
class Apart:
    a: str  # content digest
    b: str
    names: tuple[str, str] = ("", "")  # the file names when it was said (for the list)
    when: float = 0.0

    @property
    def key(self) -> frozenset:
        return frozenset((self.a, self.b))


class NotDuplicates:
    """The store. A damaged file is set aside (renamed .damaged), never lost."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.items: dict[frozenset, Apart] = {}
        self.problem: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for row in data.get("pairs", []):
                item = Apart(str(row["a"]), str(row["b"]), tuple(row.get("names", ("", "")))[:2],
                             float(row.get("when", 0.0)))
                if item.a and item.b and item.a != item.b:
                    self.items[item.key] = item
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.problem = f"{self.path} could not be read ({exc}); starting with an empty list"
            try:
                os.replace(self.path, self.path.with_suffix(".damaged"))
            except OSError:
                pass
            self.items = {}

    def pairs(self) -> frozenset:
        """frozensets of two digests, as scan(not_duplicates=...) takes them."""
        return frozenset(self.items)

    def listed(self) -> list[Apart]:
        return sorted(self.items.values(), key=lambda i: i.when)

    def add(self, a: str, b: str, names: tuple[str, str] = ("", "")) -> bool:
        """Remember a pair; False if it is one photo twice or already known."""
        if not a or not b or a == b or frozenset((a, b)) in self.items:
            return False
        item = Apart(a, b, names, time.time())
        self.items[item.key] = item
        self._save()
        return True

    def remove(self, a: str, b: str) -> bool:
        """Undo: the pair may be grouped again."""
        if self.items.pop(frozenset((a, b)), None) is None:
            return False
        self._save()
        return True

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"a": i.a, "b": i.b, "names": list(i.names), "when": i.when}
                for i in self.listed()]
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps({"version": VERSION, "pairs": rows}, indent=1) + "\n",
                       encoding="utf-8")
        os.replace(tmp, self.path)
