"""The main window: pick folders, scan them in a worker, regroup with the slider,
review groups side by side (marks, apply and undo live in review/actions.py; the
right-click menu, "not a duplicate", the selection assistant, export, several
folders and the kept session in session/actions.py)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QPushButton, QSplitter,
                               QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from duplicalt.scan.types import Embedder, ScanResult
from duplicalt.pairing.types import Group
from duplicalt.gui import dialogs
from duplicalt.gui.scan.warm_up import settle_garbage
from duplicalt.gui.session.actions import SessionActions
from duplicalt.gui.session import menus
from duplicalt.gui.session.folders import FolderActions
from duplicalt.review.not_duplicates import NotDuplicates
from duplicalt.gui.review.marks import Decisions
from duplicalt.gui.review.group_list import GroupModel, GroupTable
from duplicalt.gui.review.panel import ReviewPanel
from duplicalt.gui.review.actions import ReviewActions
from duplicalt.gui.scan.worker import ScanJob, ScanOutcome, load_default_embedder
from duplicalt.gui.settings import Settings
from duplicalt.gui.scan.regrouper import Regrouper
from duplicalt.gui.scan.tasks import TaskRunner
from duplicalt.gui.review.thumbs import ImageLoader
from duplicalt.gui.widgets import ProblemsPanel, ScanPage, StartPage, TopBar

START, SCANNING, RESULTS = range(3)


class MainWindow(FolderActions, SessionActions, ReviewActions, QMainWindow):
    def __init__(self, settings: Settings | None = None,
                 embedder_factory: Callable[[], Embedder] | None = None,
                 cache_path: Path | None = None, data_dir: Path | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir  # saved marks and "not duplicate" pairs (None: the user's)
        self.apart = NotDuplicates(data_dir / "not-duplicates.json" if data_dir else None)
        self.folders: list[Path] = []  # scanned (the first is ``folder``)
        self.references: list[Path] = []  # scanned, never offered for removal
        self.excluded: list[Path] = []
        self._suggestions: dict = {}  # member paths -> Suggestion (the keeper reads files)
        self._pending_suggestions: set = set()
        self._closing_ok = False
        self.setWindowTitle("DuplicAlt")
        self.settings = settings or Settings()
        self.cache_path = cache_path
        self._factory = embedder_factory or (lambda: load_default_embedder(self.settings.model))
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self.runner = TaskRunner(self)
        self.loader = ImageLoader(self.runner, parent=self)
        self.decisions = Decisions()
        self.folder: Path | None = None
        self.backup: Path | None = None
        self.base: ScanResult | None = None  # the finished scan (pairs down to the floor)
        self.view: ScanResult | None = None  # grouped at the slider's threshold
        self.groups: list[Group] = []  # shown: view's groups without moved files
        self.gone: set[Path] = set()  # moved away by Apply (back again after undo)
        self.job: ScanJob | None = None
        self.regrouper = Regrouper(self.runner, self._regrouped,
                                   lambda exc: dialogs.error(self, "Regrouping failed", str(exc)),
                                   self._regroup_progress, cache_path)
        self._regroup_timer = QTimer(self, singleShot=True, interval=40)
        self._regroup_timer.timeout.connect(self._regroup_now)
        self._build()
        menus.build(self)
        self.setAcceptDrops(True)
        self._restore_geometry()

    # -- layout ------------------------------------------------------------------
    def _build(self) -> None:
        self.top = TopBar(self)
        self.top.open_button.clicked.connect(self.choose_folder)
        self.top.thresholdMoved.connect(self._threshold_moved)
        self.top.apply_button.clicked.connect(self.apply)
        self.start_page = StartPage(self)
        self.start_page.open_button.clicked.connect(self.choose_folder)
        self.start_page.last_button.clicked.connect(self.reopen_last)
        self.start_page.offer_last(self._last_folders())
        self.scan_page = ScanPage(self)
        self.scan_page.cancel_button.clicked.connect(self.cancel_scan)
        self.stack = QStackedWidget(self)
        for page in (self.start_page, self.scan_page, self._results_page()):
            self.stack.addWidget(page)
        central = QWidget(self)
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.top)
        box.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.counts = QLabel(self)
        self.stop_checking = QPushButton("Stop checking", self)
        self.stop_checking.setToolTip("Stop checking the new close pairs; the groups show "
                                      "the pairs checked so far")
        self.stop_checking.clicked.connect(self.regrouper.cancel)
        self.stop_checking.hide()
        self.statusBar().addPermanentWidget(self.stop_checking)
        self.statusBar().addPermanentWidget(self.counts)
        self.statusBar().setSizeGripEnabled(False)
        self._set_page(START)

    def _results_page(self) -> QWidget:
        self.group_model = GroupModel(self.loader, self.decisions, self.devicePixelRatioF(), self)
        self.table = GroupTable(self.group_model, self)
        self.table.groupChosen.connect(self._show_group)
        self.problems = ProblemsPanel(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.table, "Groups")
        self.tabs.addTab(self.problems, "Unreadable")
        self.review = ReviewPanel(self.loader, self.decisions, self)
        self.review.markRequested.connect(self.mark_member)
        self.review.keepSuggested.connect(self.keep_suggested)
        self.review.menuRequested.connect(self.photo_menu)
        self.partial = QLabel("Scan cancelled: this is a partial result. Scan again (F5) to "
                              "finish; the work done so far is cached.", self)
        self.partial.setObjectName("warning")
        self.partial.setWordWrap(True)
        self.partial.hide()
        split = QSplitter(Qt.Horizontal, self)
        split.setChildrenCollapsible(False)
        split.addWidget(self.tabs)
        split.addWidget(self.review)
        split.setStretchFactor(1, 1)
        em = self.fontMetrics().horizontalAdvance("M")
        split.setSizes([em * 44, em * 80])
        page = QWidget(self)
        box = QVBoxLayout(page)
        box.setContentsMargins(12, 4, 12, 8)
        box.addWidget(self.partial)
        box.addWidget(split, 1)
        return page

    def _set_page(self, page: int) -> None:
        self.stack.setCurrentIndex(page)
        self.top.show_threshold(page == RESULTS and self.base is not None)
        self._update_counts()

    # -- choosing and scanning ---------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.folder or self.settings.folder or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose a folder of photos", start)
        if chosen:
            self.start_scan(Path(chosen))

    def _get_embedder(self) -> Embedder:  # runs in the scan worker
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = self._factory()
            return self._embedder

    def cancel_scan(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.scan_page.cancelling()

    def _scan_done(self, out: ScanOutcome) -> None:
        self.job = None
        self.base = self.view = out.result
        self._verified, self._model_id = out.verified, out.result.model_id
        restored = self.restore_marks(out.result)
        self.regrouper.reset(out.result, out.threshold)
        settle_garbage()  # the scan's many small objects: keep them out of full collections
        self.top.set_range(out.floor, out.threshold)
        self.problems.show_items(out.result.root, out.result.unreadable, out.result.links)
        n_bad = len(out.result.unreadable) + len(out.result.links)
        self.tabs.setTabText(1, f"Unreadable ({n_bad})" if n_bad else "Unreadable")
        s = out.result.stats
        self.partial.setVisible(s.cancelled)
        self.review.note = "partial result (scan cancelled)" if s.cancelled else ""
        self._show_view(keep_current=False)
        self._set_page(RESULTS)
        self.warm_suggestions()
        note = "Scan cancelled: partial result (finished work is cached). " if s.cancelled else ""
        kept = f" {restored} saved marks restored." if restored else ""
        self.statusBar().showMessage(
            f"{note}{s.files} photos in {s.seconds:.1f} s, {s.embedded} compared now, "
            f"{s.cached} from the cache.{kept}", 15000)

    def _scan_failed(self, exc: BaseException) -> None:
        self.job = None
        self._set_page(RESULTS if self.base is not None else START)
        title = "No model" if type(exc).__name__ == "ModelError" else "The scan failed"
        detail = "" if type(exc).__name__ == "ModelError" else repr(exc)
        dialogs.error(self, title, str(exc) or type(exc).__name__, detail)

    # -- threshold ---------------------------------------------------------------
    def _threshold_moved(self, value: float) -> None:
        self.top.show_value(value)
        self.settings.set_threshold(value, getattr(self, "_verified", self.settings.verify),
                                    getattr(self, "_model_id", ""))
        self._regroup_timer.start()

    def _regroup_now(self) -> None:
        self.regrouper.request(self.top.slider.value() / 1000.0)

    def _regroup_progress(self, p) -> None:
        if p.total:
            self.statusBar().showMessage(f"Checking close pairs: {p.done:,} / {p.total:,}", 3000)
            self.stop_checking.setVisible(p.done < p.total)

    def _regrouped(self, view: ScanResult) -> None:
        self.stop_checking.hide()
        self.statusBar().clearMessage()
        if self.regrouper.stopped:
            self.statusBar().showMessage("Stopped checking: the groups show the close pairs "
                                         "checked so far; move the slider to go on", 8000)
        if self.base is not None:
            self.view = view
            self._show_view(keep_current=True)

    def _show_view(self, keep_current: bool) -> None:
        current = self.review.group.centre.entry.path if keep_current and self.review.group else None
        self.groups = []
        for g in self.view.groups:
            members = tuple(m for m in g.members if m.entry.path not in self.gone)
            if all(self.view.is_reference(m.entry) for m in members):
                continue  # reference photos alone: nothing to decide
            if len(members) >= 2:
                self.groups.append(g if len(members) == len(g.members) else
                                   Group(g.tier, members, ()))
        self.group_model.set_groups(self.groups)
        self.tabs.setTabText(0, f"Groups ({len(self.groups)})")
        gid = next((k for k, g in enumerate(self.groups, 1)
                    if current in {m.entry.path for m in g.members}), 1)
        if self.groups:
            self.table.select_gid(gid)
        else:
            self.review.show_group(0, 0, None, None)
        self._update_counts()

    # -- settings, drag and drop, closing -------------------------------------------
    def edit_settings(self) -> None:
        backup = self.backup or (self.settings.backup_for(self.folder) if self.folder else Path())
        dlg = dialogs.SettingsDialog(self, backup, self.settings.removal, self.settings.model,
                                     self.settings.verify)
        if dlg.exec() != dialogs.QDialog.Accepted:
            return
        backup, removal, model, verify = dlg.values()
        self.settings.removal, self.settings.verify = removal, verify
        if model != self.settings.model:
            self.settings.model = model
            with self._embedder_lock:
                self._embedder = None
        if self.folder is not None and str(backup):
            self.backup = backup
            self.settings.set_backup(self.folder, backup)

    def dragEnterEvent(self, event) -> None:
        if self._dropped_folder(event) is not None and self.job is None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        folder = self._dropped_folder(event)
        if folder is not None:
            event.acceptProposedAction()
            self.start_scan(folder)

    @staticmethod
    def _dropped_folder(event) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        return paths[0] if len(paths) == 1 and paths[0].is_dir() else None

    def _restore_geometry(self) -> None:
        geometry = self.settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            em = self.fontMetrics().horizontalAdvance("M")
            self.resize(em * 120, em * 72)

    def closeEvent(self, event) -> None:
        if not self._closing_ok and not self.confirm_quit():
            event.ignore()
            return
        self._closing_ok = True
        self.save_marks()
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        if self.job is not None:
            self.job.cancel()
        self.loader.stop()
        self.runner.join(timeout=3.0)
        super().closeEvent(event)
