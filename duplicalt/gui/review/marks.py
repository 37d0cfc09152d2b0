"""Keep / Remove marks per photo, with undo (plain Python, no Qt).

Marks are keyed by path, so they survive regrouping at another threshold. An
undo step is either a change of marks or an applied batch of moves (undone by
restoring the files; the window does that part).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from duplicalt.pairing.types import Group

KEEP, REMOVE = "keep", "remove"


@dataclass
class Step:
    kind: str  # "marks" or "apply"
    before: dict[Path, str | None]  # marks to put back
    batch: object = None  # for "apply": what the window needs to restore the files
    label: str = ""


@dataclass
class Decisions:
    marks: dict[Path, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    def get(self, path: Path) -> str | None:
        return self.marks.get(path)

    def _put(self, changes: dict[Path, str | None]) -> None:
        for path, mark in changes.items():
            if mark is None:
                self.marks.pop(path, None)
            else:
                self.marks[path] = mark

    def set(self, changes: dict[Path, str | None], label: str = "") -> bool:
        """Apply ``changes`` as one undoable step; False if nothing changed."""
        changes = {p: m for p, m in changes.items() if self.marks.get(p) != m}
        if not changes:
            return False
        self.steps.append(Step("marks", {p: self.marks.get(p) for p in changes}, label=label))
        self._put(changes)
        return True

    def record_apply(self, moved: Iterable[Path], batch: object, label: str = "") -> None:
        """Moved files lose their marks; undo restores the files and the marks."""
        moved = list(moved)
        self.steps.append(Step("apply", {p: self.marks.get(p) for p in moved}, batch, label))
        self._put({p: None for p in moved})

    def drop(self, paths: Iterable[Path]) -> None:
        """Forget the marks of these paths without an undo step (files sent to the trash)."""
        self._put({p: None for p in paths})

    def undo(self) -> Step | None:
        """Pop the last step. Marks steps are undone here; an "apply" step is
        returned for the caller to restore, then finished with ``undo_apply``."""
        if not self.steps:
            return None
        step = self.steps.pop()
        if step.kind == "marks":
            self._put(step.before)
        return step

    def undo_apply(self, step: Step, restored: Iterable[Path]) -> None:
        self._put({p: step.before.get(p) for p in restored})

    def removals(self, groups: Iterable[Group]) -> list[Path]:
        """Paths marked Remove among the members of ``groups`` (each once, in order)."""
        seen: dict[Path, None] = {}
        for g in groups:
            for m in g.members:
                if self.marks.get(m.entry.path) == REMOVE:
                    seen.setdefault(m.entry.path, None)
        return list(seen)

    def counts(self, group: Group) -> tuple[int, int]:
        """(kept, removed) among a group's members."""
        marks = [self.marks.get(m.entry.path) for m in group.members]
        return marks.count(KEEP), marks.count(REMOVE)

    def would_empty(self, group: Group, path: Path) -> bool:
        """True if marking ``path`` Remove would leave no photo of the group unremoved."""
        return all(self.marks.get(m.entry.path) == REMOVE or m.entry.path == path
                   for m in group.members)
