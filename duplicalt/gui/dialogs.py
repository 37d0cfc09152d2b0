"""Dialogs: errors, the apply confirmation, the summary, and settings."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QRadioButton, QVBoxLayout, QWidget)

from duplicalt.gui.review.facts import human_size
from duplicalt.gui.settings import BACKUP, TRASH


def error(parent: QWidget, title: str, text: str, detail: str = "") -> None:
    box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, parent)
    box.setObjectName("error")
    if detail:
        box.setDetailedText(detail)
    box.exec()


def _esc(path: Path | str) -> str:
    return html.escape(str(path))


def apply_text(count: int, size: int, root: Path, backup: Path, mode: str) -> str:
    photos = f"{count} photo{'s' if count != 1 else ''} ({human_size(size)})"
    if mode == TRASH:
        return (f"<p><b>Send {photos} to the system trash?</b></p>"
                f"<p>From <code>{_esc(root)}</code>. You can get them back from the trash.</p>")
    return (f"<p><b>Move {photos} into the backup folder?</b></p>"
            f"<table cellspacing='6'><tr><td>from</td><td><nobr>{_esc(root)}</nobr></td></tr>"
            f"<tr><td>to</td><td><nobr>{_esc(backup)}</nobr></td></tr></table>"
            "<p>Their folders inside the scanned folder are recreated there. Nothing is "
            "deleted; Ctrl+Z (or <i>Edit → Undo</i>) puts them back.</p>")


def confirm_apply(parent: QWidget, count: int, size: int, root: Path, backup: Path,
                  mode: str) -> bool:
    verb = "Send to trash" if mode == TRASH else f"Move {count} photo{'s' if count != 1 else ''}"
    return confirm(parent, "Apply", apply_text(count, size, root, backup, mode), verb,
                   "confirm-apply")


def confirm(parent: QWidget, title: str, text: str, verb: str, name: str = "confirm") -> bool:
    """A question with one accent button (``verb``) and Cancel; True if accepted."""
    box = QMessageBox(QMessageBox.Question, title, text, QMessageBox.NoButton, parent)
    box.setObjectName(name)
    box.setTextFormat(Qt.RichText)
    ok = box.addButton(verb, QMessageBox.AcceptRole)
    ok.setObjectName("primary")
    ok.style().unpolish(ok)  # the name is set after the button was first styled
    ok.style().polish(ok)
    box.addButton("Cancel", QMessageBox.RejectRole)
    box.setDefaultButton(ok)
    box.exec()
    return box.clickedButton() is ok


def summary(parent: QWidget, title: str, text: str, problems: list[str]) -> None:
    icon = QMessageBox.Warning if problems else QMessageBox.Information
    box = QMessageBox(icon, title, text, QMessageBox.Ok, parent)
    box.setObjectName("summary")
    if problems:
        box.setInformativeText(f"{len(problems)} file(s) could not be handled; see the details.")
        box.setDetailedText("\n".join(problems))
    box.exec()


class SettingsDialog(QDialog):
    """Backup folder, where removed photos go, and the model file."""

    def __init__(self, parent: QWidget, backup: Path, removal: str, model: str | None,
                 verify: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.backup = QLineEdit(str(backup), self)
        self.model = QLineEdit(model or "", self)
        self.model.setPlaceholderText("the shipped model (duplicalt-resnet18, inside the package)")
        self.to_backup = QRadioButton("Move them into the backup folder (keeps their folders)")
        self.to_trash = QRadioButton("Send them to the system trash")
        group = QButtonGroup(self)
        group.addButton(self.to_backup)
        group.addButton(self.to_trash)
        (self.to_trash if removal == TRASH else self.to_backup).setChecked(True)
        form = QFormLayout()
        form.addRow("Backup folder", self._row(self.backup, self._pick_backup))
        removal_box = QVBoxLayout()
        removal_box.addWidget(self.to_backup)
        removal_box.addWidget(self.to_trash)
        form.addRow("Removed photos", removal_box)
        form.addRow("Model", self._row(self.model, self._pick_model))
        self.verify = QCheckBox("Confirm close pairs by matching details (slower, fewer "
                                "false matches; used from the next scan)")
        self.verify.setChecked(verify)
        form.addRow("Checking", self.verify)
        note = QLabel("Nothing is ever deleted. The backup folder is skipped by scans.")
        note.setObjectName("muted")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(note)
        box.addWidget(buttons)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 52, self.sizeHint().height())

    def _row(self, edit: QLineEdit, pick) -> QWidget:
        row = QWidget(self)
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        button = QPushButton("Choose…", row)
        button.clicked.connect(pick)
        lay.addWidget(button)
        return row

    def _pick_backup(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Backup folder", self.backup.text())
        if chosen:
            self.backup.setText(chosen)

    def _pick_model(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Model sidecar", self.model.text(),
                                                "Model (*.json)")
        if chosen:
            self.model.setText(chosen)

    def values(self) -> tuple[Path, str, str | None, bool]:
        removal = TRASH if self.to_trash.isChecked() else BACKUP
        return (Path(self.backup.text().strip()), removal, self.model.text().strip() or None,
                self.verify.isChecked())
