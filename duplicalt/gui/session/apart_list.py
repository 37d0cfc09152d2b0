"""The list of pairs marked "not a duplicate", each of which can be undone."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from duplicalt.review.not_duplicates import NotDuplicates


class ApartList(QDialog):
    def __init__(self, parent: QWidget, store: NotDuplicates) -> None:
        super().__init__(parent)
        self.setWindowTitle("Not duplicates")
        self.store, self.changed = store, False
        note = QLabel("Pairs you said are not duplicates: they are never grouped again, even "
                      "after a rename or a move. Put a pair back to let it be grouped.", self)
        note.setWordWrap(True)
        self.list = QListWidget(self)
        self.forget_button = QPushButton("Put back", self)
        self.forget_button.clicked.connect(self.forget_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, parent=self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.forget_button, QDialogButtonBox.ActionRole)
        box = QVBoxLayout(self)
        box.addWidget(note)
        box.addWidget(self.list, 1)
        box.addWidget(buttons)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 44, em * 26)
        self.fill()

    def fill(self) -> None:
        self.list.clear()
        for item in self.store.listed():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.when)) if item.when else ""
            names = " ≠ ".join(n or "?" for n in item.names)
            row = QListWidgetItem(f"{names}    {when}")
            row.setData(Qt.UserRole, (item.a, item.b))
            row.setToolTip(f"{item.a}\n{item.b}")
            self.list.addItem(row)
        self.forget_button.setEnabled(self.list.count() > 0)

    def forget_selected(self) -> None:
        row = self.list.currentItem() or self.list.item(0)
        if row is None:
            return
        a, b = row.data(Qt.UserRole)
        if self.store.remove(a, b):
            self.changed = True
        self.fill()
