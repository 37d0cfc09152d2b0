"""The window's fixed parts: the top bar, the start page, the scan page and the
panel of unreadable photos."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy,
                               QSlider, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from duplicalt.photos.types import LinkEntry, Unreadable
from duplicalt.progress.meter import Progress

STAGES = {"model": "Loading the model", "walk": "Finding photos",
          "hash": "Looking for identical files", "embed": "Comparing photos",
          "verify": "Checking close pairs", "group": "Grouping"}
UNITS = {"walk": "files", "hash": "files", "embed": "photos"}


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{max(s, 1)} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _button(text: str, parent: QWidget, name: str = "") -> QPushButton:
    b = QPushButton(text, parent)
    b.setFocusPolicy(Qt.NoFocus)
    if name:
        b.setObjectName(name)
    return b


class TopBar(QWidget):
    thresholdMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_button = _button("Open folder…", self)
        self.folder_label = QLabel("No folder chosen", self)
        self.folder_label.setObjectName("muted")
        self.folder_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setFocusPolicy(Qt.NoFocus)
        self.slider.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 12)
        self.slider.setToolTip("Photos at least this similar are grouped; regroups instantly")
        self.slider.valueChanged.connect(lambda v: self.thresholdMoved.emit(v / 1000.0))
        self.value_label = QLabel(self)
        self.value_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.000 "))
        self.apply_button = _button("Apply", self, "primary")
        self.apply_button.setEnabled(False)
        self._layout()

    def _layout(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 12, 6)
        row.setSpacing(10)
        row.addWidget(self.open_button)
        row.addWidget(self.folder_label, 1)
        self.caption = QLabel("Similarity", self)
        self.caption.setObjectName("muted")
        row.addWidget(self.caption)
        row.addWidget(self.slider)
        row.addWidget(self.value_label)
        row.addSpacing(8)
        row.addWidget(self.apply_button)

    def show_threshold(self, visible: bool) -> None:
        for w in (self.caption, self.slider, self.value_label):
            w.setVisible(visible)

    def set_folder(self, folder: Path | None) -> None:
        self.folder_label.setText(str(folder) if folder else "No folder chosen")
        self.folder_label.setToolTip(str(folder) if folder else "")

    def set_range(self, floor: float, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(int(round(floor * 1000)), 1000)
        self.slider.setValue(int(round(value * 1000)))
        self.slider.blockSignals(False)
        self.show_value(value)

    def show_value(self, value: float) -> None:
        self.value_label.setText(f"≥ {value:.3f}")

    def set_pending(self, count: int) -> None:
        self.apply_button.setText(f"Apply ({count})" if count else "Apply")
        self.apply_button.setEnabled(count > 0)


class StartPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Drop a folder here", self)
        title.setObjectName("hero")
        text = QLabel("or choose one with <b>Open folder…</b> (Ctrl+O). DuplicAlt finds "
                      "duplicate and near-duplicate photos in it, offline.<br>Nothing is "
                      "deleted: photos you remove are moved into a backup folder.", self)
        text.setObjectName("muted")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignCenter)
        self.open_button = _button("Open folder…", self, "primary")
        box = QVBoxLayout(self)
        box.addStretch(2)
        box.addWidget(title, 0, Qt.AlignCenter)
        box.addSpacing(8)
        box.addWidget(text, 0, Qt.AlignCenter)
        box.addSpacing(16)
        box.addWidget(self.open_button, 0, Qt.AlignCenter)
        box.addStretch(3)
        text.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 40)


class ScanPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Scanning", self)
        self.title.setObjectName("hero")
        self.folder = QLabel(self)
        self.folder.setObjectName("muted")
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.cancel_button = _button("Cancel", self)
        self.note = QLabel("Finished work is kept in the cache: a later scan continues from here.",
                           self)
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        inner = QVBoxLayout()
        inner.setSpacing(10)
        for w in (self.title, self.folder, self.bar, self.detail):
            inner.addWidget(w)
        inner.addSpacing(6)
        inner.addWidget(self.cancel_button, 0, Qt.AlignLeft)
        inner.addSpacing(6)
        inner.addWidget(self.note)
        holder = QWidget(self)
        holder.setLayout(inner)
        holder.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 46)
        box = QVBoxLayout(self)
        box.addStretch(2)
        box.addWidget(holder, 0, Qt.AlignCenter)
        box.addStretch(3)

    def start(self, folder: Path) -> None:
        self.title.setText("Scanning")
        self.folder.setText(str(folder))
        self.bar.setRange(0, 0)
        self.detail.setText("Starting…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")

    def cancelling(self) -> None:
        self.title.setText("Stopping")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping after this batch…")

    def show_progress(self, p: Progress) -> None:
        stage = STAGES.get(p.stage, p.stage.capitalize())
        if p.total <= 0:
            self.bar.setRange(0, 0)
            count = f"{p.done} {UNITS.get(p.stage, '')}".strip() if p.done else ""
            self.detail.setText(" · ".join(t for t in (stage, count) if t) + "…")
            return
        self.bar.setRange(0, p.total)
        self.bar.setValue(min(p.done, p.total))
        unit = UNITS.get(p.stage, "")
        parts = [stage, f"{p.done} / {p.total} {unit}".strip()]
        if p.rate > 0 and p.done < p.total:
            parts.append(f"{p.rate:.1f} {unit or 'items'}/s")
            parts.append(f"about {eta_text(p.eta_s)} left")
        self.detail.setText("  ·  ".join(parts))


class ProblemsPanel(QTreeWidget):
    """Unreadable photos (with the reason) and links that are never offered for removal."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["File", "Reason"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setFocusPolicy(Qt.NoFocus)
        self.setColumnWidth(0, self.fontMetrics().horizontalAdvance("M") * 18)

    def show_items(self, root: Path, unreadable: tuple[Unreadable, ...],
                   links: tuple[LinkEntry, ...]) -> None:
        self.clear()
        for u in unreadable:
            self._add(root, u.path, u.reason)
        for link in links:
            self._add(root, link.path, f"{link.kind} to {link.target} (never removed)")

    def _add(self, root: Path, path: Path, reason: str) -> None:
        try:
            name = str(Path(path).relative_to(root))
        except ValueError:
            name = str(path)
        item = QTreeWidgetItem([name, reason])
        item.setToolTip(0, str(path))
        item.setToolTip(1, reason)
        self.addTopLevelItem(item)
