"""Answers the window's modal dialogs in tests, like a user would: it reads each
message box and clicks its accept (or OK) button."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


class DialogBot:
    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.seen: list[tuple[str, str]] = []  # (objectName, text)
        self.timer = QTimer()
        self.timer.setInterval(30)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            return
        self.seen.append((box.objectName(), box.text()))
        wanted = (QMessageBox.AcceptRole, QMessageBox.YesRole) if self.accept else \
            (QMessageBox.RejectRole, QMessageBox.NoRole)
        for button in box.buttons():
            if box.buttonRole(button) in wanted:
                button.click()
                return
        box.done(0)

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]

    def stop(self) -> None:
        self.timer.stop()
