"""The selection assistant: one rule applied to every group at once (keep the
suggested original, the largest, the newest, the oldest, or the one in a
folder), previewed before anything is marked."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QListWidget, QVBoxLayout, QWidget)

from duplicalt.pairing.types import Group, Member
from duplicalt.gui.review.facts import human_size
from duplicalt.gui.review.marks import KEEP, REMOVE

RULES = {"suggested": "Keep the suggested original", "largest": "Keep the largest photo",
         "newest": "Keep the newest photo", "oldest": "Keep the oldest photo",
         "folder": "Keep the photos in a folder…"}
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class Plan:
    changes: dict  # path -> KEEP / REMOVE
    groups: int  # groups the rule decided
    skipped: int  # groups it could not decide (no photo in the folder)
    removals: int
    size: int  # bytes of the photos to remove
    lines: tuple[str, ...]  # one per decided group, for the preview


def _when(m: Member) -> tuple:
    taken = m.info.taken if m.info and m.info.taken else None
    return (taken or "", m.entry.mtime_ns)


def _pixels(m: Member) -> tuple:
    return ((m.info.width * m.info.height) if m.info else 0, m.entry.size)


def keepers(g: Group, rule: str, folder: Path | None, suggested: int,
            is_ref: Callable[[Member], bool]) -> list[int]:
    """The members the rule keeps in one group ([] when it cannot tell)."""
    refs = [k for k, m in enumerate(g.members) if is_ref(m)]
    if refs:
        return refs  # a reference photo is the one kept, whatever the rule
    n = range(len(g.members))
    if rule == "suggested":
        return [suggested]
    if rule == "largest":
        return [max(n, key=lambda k: (_pixels(g.members[k]), -k))]
    if rule in ("newest", "oldest"):
        pick = max if rule == "newest" else min
        return [pick(n, key=lambda k: _when(g.members[k]))]
    if rule == "folder" and folder is not None:
        return [k for k in n if folder == g.members[k].entry.path.parent or
                folder in g.members[k].entry.path.parents]
    return []


def plan(groups: Sequence[Group], rule: str, folder: Path | None,
         suggest: Callable[[Group], int], is_ref: Callable[[Member], bool]) -> Plan:
    changes: dict = {}
    decided = skipped = size = 0
    lines = []
    for gid, g in enumerate(groups, 1):
        keep = keepers(g, rule, folder, suggest(g) if rule == "suggested" else 0, is_ref)
        if not keep or len(keep) == len(g.members) and rule == "folder":
            skipped += 1
            continue
        decided += 1
        for k, m in enumerate(g.members):
            mark = KEEP if k in keep or is_ref(m) else REMOVE
            if changes.get(m.entry.path) != KEEP:  # a photo kept in one group stays kept
                changes[m.entry.path] = mark
        if len(lines) < PREVIEW_ROWS:
            names = ", ".join(g.members[k].entry.path.name for k in keep)
            lines.append(f"Group {gid}: keep {names}; remove {len(g.members) - len(keep)}")
    removed = {p for p, m in changes.items() if m == REMOVE}
    for g in groups:
        for m in g.members:
            if m.entry.path in removed:
                size += m.entry.size
                removed.discard(m.entry.path)
    n_remove = sum(1 for m in changes.values() if m == REMOVE)
    return Plan(changes, decided, skipped, n_remove, size, tuple(lines))


def folder_choices(groups: Sequence[Group], limit: int = 40) -> list[Path]:
    """The folders holding grouped photos, the most photos first."""
    count: dict[Path, int] = {}
    for g in groups:
        for m in g.members:
            count[m.entry.path.parent] = count.get(m.entry.path.parent, 0) + 1
    return sorted(count, key=lambda p: (-count[p], str(p)))[:limit]


class SelectionAssistant(QDialog):
    """Pick a rule, see what it would mark, then Mark (one undoable step)."""

    def __init__(self, parent: QWidget, groups: Sequence[Group],
                 suggest: Callable[[Group], int], is_ref: Callable[[Member], bool]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Selection assistant")
        self.groups, self.suggest, self.is_ref = groups, suggest, is_ref
        self.rule = QComboBox(self)
        for key, text in RULES.items():
            self.rule.addItem(text, key)
        self.folder = QComboBox(self)
        for path in folder_choices(groups):
            self.folder.addItem(str(path), str(path))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.preview = QListWidget(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel, parent=self)
        self.mark_button = self.buttons.addButton("Mark", QDialogButtonBox.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Rule", self.rule)
        form.addRow("Folder", self.folder)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.summary)
        box.addWidget(self.preview, 1)
        box.addWidget(self.buttons)
        self.rule.currentIndexChanged.connect(self.update_preview)
        self.folder.currentIndexChanged.connect(self.update_preview)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 48, em * 34)
        self.update_preview()

    def set_rule(self, key: str, folder: Path | None = None) -> None:
        self.rule.setCurrentIndex(self.rule.findData(key))
        if folder is not None:
            k = self.folder.findData(str(folder))
            if k < 0:
                self.folder.addItem(str(folder), str(folder))
                k = self.folder.count() - 1
            self.folder.setCurrentIndex(k)
        self.update_preview()

    def current(self) -> Plan:
        key = self.rule.currentData()
        folder = Path(self.folder.currentData()) if self.folder.currentData() else None
        return plan(self.groups, key, folder, self.suggest, self.is_ref)

    def update_preview(self) -> None:
        self.folder.setEnabled(self.rule.currentData() == "folder")
        p = self.current()
        text = (f"{p.groups} group{'s' if p.groups != 1 else ''} decided: {p.removals} photo"
                f"{'s' if p.removals != 1 else ''} would be marked Remove "
                f"({human_size(p.size)}). Nothing moves until Apply.")
        if p.skipped:
            text += f" {p.skipped} group{'s' if p.skipped != 1 else ''} left as they are."
        self.summary.setText(text)
        self.preview.clear()
        self.preview.addItems(list(p.lines))
        self.mark_button.setEnabled(bool(p.changes))
