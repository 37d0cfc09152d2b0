"""The window's fixed parts: the top bar, the start page, the scan page and the
panel of unreadable photos."""
from __future__ import annotations

import time
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
# each stage's share of one progress bar over the whole scan (the ETA is for all of it)
WEIGHTS = {"model": 0.03, "walk": 0.04, "hash": 0.03, "embed": 0.70, "verify": 0.18,
           "group": 0.02}
ORDER = tuple(WEIGHTS)


def overall(stage: str, done: int, total: int) -> float:
    """The share of the whole scan finished, given the current stage's progress."""
    if stage not in WEIGHTS:
        return 0.0
    k = ORDER.index(stage)
    part = min(done / total, 1.0) if total > 0 else 0.0
    return sum(WEIGHTS[s] for s in ORDER[:k]) + WEIGHTS[stage] * part


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{max(s, 1)} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" (or loses its middle) when it does
    not fit, with the whole text as its tooltip; never cut off mid-letter."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.ElideRight) -> None:
        super().__init__(parent)
        self._full, self._mode = "", mode
        self.setTextFormat(Qt.PlainText)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(1)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text or ""
        self.setToolTip(self._full)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width() - 2, 1)
        super().setText(self.fontMetrics().elidedText(self._full, self._mode, width))


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
        self.folder_label = ElidedLabel("No folder chosen", self, Qt.ElideMiddle)
        self.folder_label.setObjectName("muted")
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

    def set_folder(self, folder: Path | None, more: str = "") -> None:
        text = str(folder) + more if folder else "No folder chosen"
        self.folder_label.setText(text)

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
        title.setAlignment(Qt.AlignCenter)
        text = QLabel("or choose one with <b>Open folder…</b> (Ctrl+O). DuplicAlt finds "
                      "duplicate and near-duplicate photos in it, offline.<br>Nothing is "
                      "deleted: photos you remove are moved into a backup folder.", self)
        text.setObjectName("muted")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignCenter)
        self.open_button = _button("Open folder…", self, "primary")
        self.last_button = _button("", self)
        self.last_button.hide()
        holder = QWidget(self)
        inner = QVBoxLayout(holder)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(title)
        inner.addSpacing(8)
        inner.addWidget(text)
        inner.addSpacing(16)
        for b in (self.open_button, self.last_button):
            inner.addWidget(b, 0, Qt.AlignCenter)
        width = self.fontMetrics().horizontalAdvance("M") * 40
        holder.setFixedWidth(width)
        text.setMinimumHeight(text.heightForWidth(width))  # all its lines, never cut
        box = QVBoxLayout(self)
        box.addStretch(2)
        box.addWidget(holder, 0, Qt.AlignHCenter)
        box.addStretch(3)

    def offer_last(self, folders: list[Path]) -> None:
        """A button that scans the last folders again (their work is in the cache)."""
        if not folders:
            self.last_button.hide()
            return
        name = folders[0].name or str(folders[0])
        more = f" and {len(folders) - 1} more" if len(folders) > 1 else ""
        fm = self.fontMetrics()
        shown = fm.elidedText(f"Reopen {name}{more}", Qt.ElideMiddle,
                              fm.horizontalAdvance("M") * 36)
        self.last_button.setText(shown)
        self.last_button.setToolTip("\n".join(str(f) for f in folders))
        self.last_button.show()


class ScanPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.started, self.fraction = time.monotonic(), 0.0
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

    def start(self, folder: Path, more: str = "") -> None:
        self.title.setText("Scanning")
        self.folder.setText(str(folder) + more)
        self.started = time.monotonic()
        self.fraction = 0.0
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.detail.setText("Starting…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")

    def cancelling(self) -> None:
        self.title.setText("Stopping")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping after this batch…")

    def show_progress(self, p: Progress) -> None:
        """One bar over the whole scan; its ETA is for all of it, never restarting per stage."""
        stage = STAGES.get(p.stage, p.stage.capitalize())
        self.fraction = max(self.fraction, overall(p.stage, p.done, p.total))
        self.bar.setValue(int(self.fraction * 1000))
        unit = UNITS.get(p.stage, "")
        parts = [stage]
        if p.total > 0:
            parts.append(f"{p.done} / {p.total} {unit}".strip())
        elif p.done:
            parts.append(f"{p.done} {unit}".strip())
        elapsed = time.monotonic() - self.started
        if self.fraction >= 0.08 and elapsed > 1.0 and self.fraction < 1.0:
            parts.append(f"about {eta_text(elapsed * (1 - self.fraction) / self.fraction)} left")
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
