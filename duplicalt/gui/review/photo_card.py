"""One photo under review: the picture, its facts (differences highlighted),
the suggested-keeper note, and Keep / Remove."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from duplicalt.pairing.types import Member
from duplicalt.gui import theme
from duplicalt.gui.review.marks import KEEP, REMOVE
from duplicalt.gui.review.facts import FIELDS, facts
from duplicalt.gui.review.photo_view import PhotoCanvas
from duplicalt.gui.widgets import ElidedLabel


PLACES = {"Resolution": (0, 0, 3), "Format": (1, 0, 1), "File size": (1, 2, 1),
          "Taken": (2, 0, 3), "Path": (3, 0, 3)}  # (row, column, value's column span)


def badge(text: str, fg: str, bg: str) -> str:
    return f"<span style='color:{fg}; background:{bg};'>&nbsp;{text}&nbsp;</span>"


class PhotoCard(QFrame):
    markClicked = Signal(str)  # KEEP or REMOVE
    clicked = Signal()
    menuRequested = Signal(object)  # global position of a right-click

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.side = side
        self.member: Member | None = None
        self.similarity = ""  # to the photo beside it, shown beside the badge
        self.reference = False  # from a reference folder: never removed
        self.canvas = PhotoCanvas(self)
        self.canvas.setContextMenuPolicy(Qt.CustomContextMenu)
        self.canvas.customContextMenuRequested.connect(
            lambda pos: self.menuRequested.emit(self.canvas.mapToGlobal(pos)))
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.menuRequested.emit(self.mapToGlobal(pos)))
        self.title = ElidedLabel("", self, Qt.ElideMiddle)
        self.title.setObjectName("title")
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.RichText)
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.RichText)
        self.note.setWordWrap(True)
        self.values: dict[str, QLabel] = {}
        self.keep_button = self._button("Keep   K", "keep", KEEP)
        self.remove_button = self._button("Remove   R", "remove", REMOVE)
        self._layout()

    def _button(self, text: str, name: str, mark: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setCheckable(True)
        b.setFocusPolicy(Qt.NoFocus)
        b.clicked.connect(lambda: self.markClicked.emit(mark))
        return b

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.status, 0, Qt.AlignRight)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        for name in FIELDS:  # the long values get a row each; format and size share one
            if name == "Similarity":
                continue  # shown beside the Keep/Remove badge
            row, col, span = PLACES[name]
            key = QLabel(name, self)
            key.setObjectName("muted")
            value = ElidedLabel("", self, Qt.ElideMiddle if name == "Path" else Qt.ElideRight)
            grid.addWidget(key, row, col)
            grid.addWidget(value, row, col + 1, 1, span)
            self.values[name] = value
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.remove_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 10, 12, 12)
        box.setSpacing(8)
        box.addLayout(top)
        box.addWidget(self.canvas, 1)
        box.addWidget(self.note)
        box.addLayout(grid)
        box.addLayout(buttons)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)

    def show_member(self, member: Member | None, diff: set[str], reason: str | None,
                    similarity: float | None = None, reference: bool = False) -> None:
        self.member, self.reference = member, reference
        if member is None:
            self.similarity = ""
            self.title.setText("")
            self.canvas.set_message("")
            for v in self.values.values():
                v.setText("")
            self.note.setText("")
            return
        self.title.setText(member.entry.path.name)
        self.title.setToolTip(str(member.entry.path))
        values = facts(member, similarity)
        self.similarity = values["Similarity"] if similarity is not None else ""
        for name, label in self.values.items():
            label.setText(values[name])
            if name == "Path":
                label.setToolTip(str(member.entry.path))
            changed = name in diff
            label.setStyleSheet(f"color: {theme.DIFF}; font-weight: 600;" if changed else "")
        notes = []
        if reference:
            notes.append(badge("REFERENCE", "#0b1220", theme.MUTED) +
                         f"&nbsp; <span style='color:{theme.MUTED}'>never removed</span>")
        if reason:
            notes.append(badge("★ Suggested keeper", "#0b1220", theme.KEEP) +
                         f"&nbsp; <span style='color:{theme.MUTED}'>{html.escape(reason)}</span>")
        self.note.setText("&nbsp;&nbsp; ".join(notes))

    def show_mark(self, mark: str | None, current: bool) -> None:
        self.keep_button.setChecked(mark == KEEP)
        self.remove_button.setChecked(mark == REMOVE)
        self.remove_button.setEnabled(not self.reference)  # a reference photo is never removed
        text = {KEEP: badge("KEEP", "#08140e", theme.KEEP),
                REMOVE: badge("REMOVE", "#1a0808", theme.REMOVE)}.get(
                    mark, f"<span style='color:{theme.MUTED}'>undecided</span>")
        if self.reference and mark is None:
            text = f"<span style='color:{theme.MUTED}'>reference</span>"
        if self.similarity:
            text = (f"<span style='color:{theme.MUTED}'>similarity {self.similarity}</span>"
                    f"&nbsp;&nbsp;{text}")
        self.status.setText(text)
        if self.property("current") != current:
            self.setProperty("current", current)
            self.style().unpolish(self)
            self.style().polish(self)
