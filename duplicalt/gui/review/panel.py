"""A group under review: two photos side by side (synchronised zoom and pan),
a strip of all its photos when there are more than two, and the keyboard hints.

The left photo is the reference (the suggested keeper at first); the right one
is the current photo, the one K / R act on. ←/→ step the right side through the
group, Space swaps the sides.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from duplicalt.pairing.types import Group
from duplicalt.gui.review import photo_view
from duplicalt.gui import theme
from duplicalt.gui.review.marks import KEEP, REMOVE, Decisions
from duplicalt.gui.review.facts import Suggestion, differences, pair_similarity
from duplicalt.gui.review.photo_card import PhotoCard
from duplicalt.gui.review.thumbs import ImageLoader
from duplicalt.gui.widgets import ElidedLabel

PREVIEW = 2048  # longest side of the decoded preview
FULL_CAP = 6144  # zoomed in past the preview: decoded again up to this long side
STRIP = 64  # strip thumbnail, logical pixels
HINT = ("←/→ photo    ↑/↓ group    K keep    R / Del remove    Space swap    "
        "S keep suggested    Ctrl+Z undo    wheel / double-click zoom")


class ReviewPanel(QWidget):
    markRequested = Signal(int, str)  # member index, KEEP/REMOVE
    keepSuggested = Signal()
    menuRequested = Signal(int, object)  # member index, global position

    def __init__(self, loader: ImageLoader, decisions: Decisions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader, self.decisions = loader, decisions
        self.group: Group | None = None
        self.suggestion: Suggestion | None = None
        self.reference: set = set()  # paths of reference photos (never removed)
        self.note = ""  # shown after the heading (a cancelled scan's partial result)
        self.left = self.right = 0
        self.heading = ElidedLabel("", self)
        self.heading.setObjectName("title")
        self.suggest_button = QPushButton("Keep suggested   S", self)
        self.suggest_button.setFocusPolicy(Qt.NoFocus)
        self.suggest_button.clicked.connect(self.keepSuggested)
        self.cards = (PhotoCard("left", self), PhotoCard("right", self))
        photo_view.link(self.cards[0].canvas, self.cards[1].canvas)
        self._full_wanted: set[str] = set()  # paths zoomed in past their preview
        for side, card in enumerate(self.cards):
            card.markClicked.connect(lambda mark, s=side: self._mark_side(s, mark))
            card.menuRequested.connect(lambda pos, s=side: self.menuRequested.emit(
                self.left if s == 0 else self.right, pos))
            card.canvas.viewChanged.connect(self._view_changed)
        self.strip = self._make_strip()
        self._strip_state: dict[int, tuple] = {}  # row -> (mark, shown) as last drawn
        hint = QLabel(HINT, self)
        hint.setObjectName("muted")
        hint.setAlignment(Qt.AlignCenter)
        hint.setWordWrap(True)
        self._layout(hint)
        loader.loaded.connect(self._image_ready)
        loader.failed.connect(self._image_failed)

    def _make_strip(self) -> QListWidget:
        strip = QListWidget(self)
        strip.setViewMode(QListWidget.IconMode)
        strip.setFlow(QListWidget.LeftToRight)
        strip.setWrapping(False)
        strip.setIconSize(QSize(STRIP, STRIP))
        # as tall as its thumbnails when there is room; it gives way in a small window
        strip.setMaximumHeight(STRIP + self.fontMetrics().height() + 20)
        strip.setMinimumHeight(1)
        strip.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Maximum)
        strip.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        strip.setFocusPolicy(Qt.NoFocus)
        strip.itemClicked.connect(lambda item: self.show_right(strip.row(item)))
        return strip

    def _layout(self, hint: QLabel) -> None:
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.suggest_button)
        pair = QHBoxLayout()
        pair.setSpacing(10)
        for card in self.cards:
            pair.addWidget(card, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 0, 0, 0)
        box.addLayout(top)
        box.addLayout(pair, 1)
        box.addWidget(self.strip)
        box.addWidget(hint)

    # -- showing -----------------------------------------------------------------
    def show_group(self, gid: int, total: int, group: Group | None,
                   suggestion: Suggestion | None, reference: set | None = None) -> None:
        old, self.group, self.suggestion = self.group, group, suggestion
        self.reference = reference or set()
        if group is None:
            self.heading.setText("No group selected")
            for card in self.cards:
                card.show_member(None, set(), None)
            self.strip.clear()
            self.strip.hide()
            return
        kind = "Identical files" if group.tier == "identical" else "Similar photos"
        self.heading.setText(f"Group {gid} of {total}  ·  {kind}  ·  {len(group.members)} photos"
                             + (f"  ·  {self.note}" if self.note else ""))
        if old is not None and _paths(old) == _paths(group) and old.tier == group.tier:
            return  # regrouped, same photos: keep the pair, zoom and strip as they are
        self._full_wanted.clear()
        self.left = suggestion.index if suggestion else 0
        self.right = 1 if self.left == 0 else 0
        self._fill_strip()
        self._show_pair(reset=True)

    def _fill_strip(self) -> None:
        self.strip.clear()
        self._strip_state = {}
        self.strip.setVisible(len(self.group.members) > 2)
        if len(self.group.members) <= 2:
            return
        for m in self.group.members:
            item = QListWidgetItem(m.entry.path.name)
            item.setToolTip(str(m.entry.path))
            item.setSizeHint(QSize(STRIP + 48, STRIP + self.fontMetrics().height() + 8))
            self.strip.addItem(item)
        self._strip_icons()

    def _strip_px(self) -> int:
        return int(round(STRIP * self.devicePixelRatioF()))

    def _strip_icons(self, only: str | None = None) -> None:
        """Set the strip's icons that are decoded (all, or those of the path ``only``)."""
        for row, m in enumerate(self.group.members):
            if only is not None and str(m.entry.path) != only:
                continue
            image = self.loader.request(m.entry.path, self._strip_px())
            if image is not None:
                pm = QPixmap.fromImage(image)
                pm.setDevicePixelRatio(self.devicePixelRatioF())
                self.strip.item(row).setIcon(QIcon(pm))

    def _show_pair(self, reset: bool = False) -> None:
        g = self.group
        a, b = g.members[self.left], g.members[self.right]
        diff = differences(a, b)
        sim = pair_similarity(g, self.left, self.right)
        for card, k, m in ((self.cards[0], self.left, a), (self.cards[1], self.right, b)):
            keeper = self.suggestion and self.suggestion.index == k
            card.show_member(m, diff, self.suggestion.reason if keeper else None,
                             sim if card.side == "right" else None,
                             m.entry.path in self.reference)
            self._load(card)
        if reset:
            self.cards[0].canvas.reset_view()
        self.refresh_marks()

    def _load(self, card: PhotoCard) -> None:
        m = card.member
        full = _full_size(m)
        if full and str(m.entry.path) in self._full_wanted:
            image = self.loader.request(m.entry.path, full)
            if image is not None:
                card.canvas.set_image(image, m.info.width)
                return
        image = self.loader.request(m.entry.path, PREVIEW)
        if image is not None:
            card.canvas.set_image(image, m.info.width if m.info else 0)
            return
        error = self.loader.error(m.entry.path, PREVIEW)
        card.canvas.set_message(f"Cannot show this photo:\n{error}" if error else "Loading…")

    def refresh_marks(self) -> None:
        if self.group is None:
            return
        for card, k in ((self.cards[0], self.left), (self.cards[1], self.right)):
            card.show_mark(self.decisions.get(self.group.members[k].entry.path), card.side == "right")
        colours = {KEEP: theme.KEEP, REMOVE: theme.REMOVE, None: theme.TEXT}
        for row, m in enumerate(self.group.members if self.strip.count() else ()):
            state = (self.decisions.get(m.entry.path), row in (self.left, self.right))
            if self._strip_state.get(row) == state:
                continue  # only touch what changed: groups can have hundreds of photos
            self._strip_state[row] = state
            item = self.strip.item(row)
            item.setForeground(QColor(colours[state[0]]))
            item.setText(("● " if state[1] else "") + m.entry.path.name)

    def _image_ready(self, path: str, size: int) -> None:
        if self.group is None:
            return
        for card in self.cards:
            if card.member is not None and str(card.member.entry.path) == path and \
                    size in (PREVIEW, _full_size(card.member)):
                self._load(card)
        if size == self._strip_px() and self.strip.isVisible():
            self._strip_icons(only=path)

    def _image_failed(self, path: str, size: int, reason: str) -> None:
        self._image_ready(path, size)

    def _view_changed(self, *_view) -> None:
        """Zoomed in past a preview's own pixels: decode that photo at full size."""
        for card in self.cards:
            m = card.member
            full = _full_size(m) if m is not None else None
            if full and card.canvas.magnified() and str(m.entry.path) not in self._full_wanted:
                self._full_wanted.add(str(m.entry.path))
                self.loader.request(m.entry.path, full)

    # -- navigation (called by the window's shortcuts) ------------------------------
    def show_right(self, index: int) -> None:
        if self.group is None or index < 0 or index >= len(self.group.members):
            return
        if index == self.left:  # clicking the reference: swap instead
            self.swap()
            return
        self.right = index
        self._show_pair()

    def step(self, delta: int) -> None:
        """Move the right side to the next/previous photo that is not on the left."""
        if self.group is None:
            return
        n = len(self.group.members)
        k = self.right
        for _ in range(n):
            k = (k + delta) % n
            if k != self.left:
                break
        if k != self.right:
            self.right = k
            self._show_pair()

    def swap(self) -> None:
        if self.group is not None:
            self.left, self.right = self.right, self.left
            self._show_pair()

    def current_index(self) -> int:
        return self.right

    def _mark_side(self, side: int, mark: str) -> None:
        if self.group is not None:
            self.markRequested.emit(self.left if side == 0 else self.right, mark)


def _paths(group: Group) -> list:
    return [m.entry.path for m in group.members]


def _full_size(m) -> int | None:
    """The long side to decode for 100 % zoom, if larger than the preview."""
    side = max(m.info.width, m.info.height) if m.info else 0
    return min(side, FULL_CAP) if side > PREVIEW else None
