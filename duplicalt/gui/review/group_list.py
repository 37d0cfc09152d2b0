"""The list of groups: thumbnail, photo count, kind, best similarity, size and
what has been marked; sortable by any column."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from duplicalt.pairing.types import Group
from duplicalt.gui import theme
from duplicalt.gui.review.marks import Decisions
from duplicalt.gui.review.facts import human_size
from duplicalt.gui.review.thumbs import ImageLoader

THUMB = 44  # logical pixels
COLUMNS = ("Group", "Photos", "Similarity", "Size", "Marked")
MARKED = 4


def _sort_key(column: int, gid: int, g: Group):
    return {
        0: gid, 1: (len(g.members), g.tier), 2: g.best_similarity,
        3: sum(m.entry.size for m in g.members),
    }.get(column, gid)


class GroupModel(QAbstractTableModel):
    def __init__(self, loader: ImageLoader, decisions: Decisions, dpr: float,
                 parent=None) -> None:
        super().__init__(parent)
        self.loader, self.decisions, self.dpr = loader, decisions, dpr
        self.thumb_px = int(round(THUMB * dpr))
        self.rows: list[tuple[int, Group]] = []
        self._rows_of_path: dict[str, list[int]] = {}  # centre photo -> rows, for thumbnails
        self._pixmaps: dict[str, QPixmap] = {}
        self._sort = (0, Qt.AscendingOrder)
        loader.loaded.connect(self._thumb_ready)

    def set_groups(self, groups: list[Group]) -> None:
        self.beginResetModel()
        self.rows = list(enumerate(groups, 1))
        self._apply_sort()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        gid, g = self.rows[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            return self._text(col, gid, g)
        if role == Qt.DecorationRole and col == 0:
            return self._thumb(g)
        if role == Qt.TextAlignmentRole and col in (2, 3):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and col == MARKED:
            kept, removed = self.decisions.counts(g)
            return QColor(theme.KEEP if kept + removed == len(g.members) else theme.MUTED)
        if role == Qt.ToolTipRole:
            return str(g.centre.entry.path)
        return None

    def _text(self, col: int, gid: int, g: Group) -> str:
        if col == 0:
            return f"{gid}"
        if col == 1:
            return f"{len(g.members)} {'identical' if g.tier == 'identical' else 'similar'}"
        if col == 2:
            return f"{g.best_similarity:.3f}"
        if col == 3:
            return human_size(sum(m.entry.size for m in g.members))
        kept, removed = self.decisions.counts(g)
        if kept + removed == len(g.members):
            return f"✓ −{removed}" if removed else "✓"
        return f"{kept + removed}/{len(g.members)}" if kept or removed else ""

    def _thumb(self, g: Group):
        key = str(g.centre.entry.path)
        pm = self._pixmaps.get(key)
        if pm is None:
            image = self.loader.request(g.centre.entry.path, self.thumb_px)
            if image is None:
                return None
            pm = QPixmap.fromImage(image)
            pm.setDevicePixelRatio(self.dpr)
            self._pixmaps[key] = pm
        return pm

    def _thumb_ready(self, path: str, size: int) -> None:
        for row in self._rows_of_path.get(path, ()) if size == self.thumb_px else ():
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.DecorationRole])

    def marks_changed(self) -> None:
        if self.rows:
            last = len(self.rows) - 1
            self.dataChanged.emit(self.index(0, MARKED), self.index(last, MARKED))

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Re-sort; the highlighted row (a persistent index) moves with its group, so
        the row shown highlighted is still the group under review."""
        self.layoutAboutToBeChanged.emit()
        before = [gid for gid, _ in self.rows]
        self._sort = (column, order)
        self._apply_sort()
        where = {gid: k for k, (gid, _) in enumerate(self.rows)}
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old, [self.index(where[before[i.row()]], i.column()) for i in old])
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        column, order = self._sort
        self.rows.sort(key=lambda r: _sort_key(column, *r),
                       reverse=order == Qt.DescendingOrder)
        self._rows_of_path = {}
        for k, (_, g) in enumerate(self.rows):
            self._rows_of_path.setdefault(str(g.centre.entry.path), []).append(k)

    def row_of(self, gid: int) -> int:
        return next((k for k, (g, _) in enumerate(self.rows) if g == gid), -1)


class GroupTable(QTableView):
    groupChosen = Signal(int)  # gid

    def __init__(self, model: GroupModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.AscendingOrder)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setFocusPolicy(Qt.NoFocus)
        self.setIconSize(QSize(THUMB, THUMB))
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(THUMB + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("M") * 3)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        fm = self.fontMetrics()
        samples = ("0000", "12 identical", "Similarity", "999.9 KB", "Marked")
        for col, text in enumerate(samples):
            extra = THUMB + 8 if col == 0 else 0
            width = max(fm.horizontalAdvance(text) + 16 + extra, header.sectionSizeHint(col))
            self.setColumnWidth(col, width)
        self.selectionModel().currentRowChanged.connect(self._row_changed)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.groupChosen.emit(self.model().rows[current.row()][0])

    def select_gid(self, gid: int) -> None:
        row = self.model().row_of(gid)
        if row >= 0:
            self.setCurrentIndex(self.model().index(row, 0))
            self.scrollTo(self.model().index(row, 0))

    def step(self, delta: int) -> None:
        """Select the next/previous row in the current sort order."""
        n = self.model().rowCount()
        if n == 0:
            return
        row = self.currentIndex().row()
        row = 0 if row < 0 else min(max(row + delta, 0), n - 1)
        self.setCurrentIndex(self.model().index(row, 0))
