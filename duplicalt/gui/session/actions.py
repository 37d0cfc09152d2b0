"""What the window does beyond marking (mixed into the main window): the
right-click menu, "not a duplicate", the selection assistant, export, several
folders with reference and excluded ones, marks kept between runs, and the
question before quitting with marks not applied."""
from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from duplicalt.gui import dialogs
from duplicalt.gui.review.marks import KEEP, REMOVE
from duplicalt.gui.session import context
from duplicalt.gui.session.apart_list import ApartList
from duplicalt.gui.session.assistant import SelectionAssistant
from duplicalt.gui.session.store import MarksStore
from duplicalt.review import report
from duplicalt.scan.pipeline import digests_of
from duplicalt.photos.cache import Cache, default_cache_path


class SessionActions:
    """Needs from the window: review, decisions, groups, view, base, regrouper, top,
    settings, folders, references, excluded, apart, data_dir, statusBar."""

    marks_store: MarksStore | None = None
    ask_before_quit = True  # tests turn the question off where they do not answer it

    # -- the photo under the pointer ------------------------------------------------
    def _member(self, index: int | None = None):
        g = self.review.group
        if g is None:
            return None
        return g.members[self.review.current_index() if index is None else index]

    def photo_menu(self, index: int, pos) -> None:
        m = self._member(index)
        if m is None:
            return
        path = m.entry.path
        slots = {"open": lambda: context.open_file(path), "reveal": lambda: context.reveal(path),
                 "copy": lambda: self._copy(path), "apart": lambda: self.not_duplicate(index),
                 "keep": lambda: self.mark_member(index, KEEP),
                 "remove": lambda: self.mark_member(index, REMOVE)}
        self._menu = context.photo_menu(self, path, slots, self.review.group.tier != "identical")
        self._menu.popup(pos)

    def _copy(self, path: Path) -> None:
        context.copy_path(path)
        self.statusBar().showMessage(f"Copied {path}", 4000)

    def open_current(self) -> None:
        m = self._member()
        if m is not None:
            context.open_file(m.entry.path)

    def reveal_current(self) -> None:
        m = self._member()
        if m is not None:
            context.reveal(m.entry.path)

    def copy_current(self) -> None:
        m = self._member()
        if m is not None:
            self._copy(m.entry.path)

    # -- not a duplicate -------------------------------------------------------------
    def not_duplicate(self, index: int | None = None) -> None:
        """The photo on the right (or ``index``) and the one on the left are not duplicates."""
        g, r = self.review.group, self.review
        if g is None or self.base is None or g.tier == "identical":
            return
        k = r.current_index() if index is None else index
        other = r.left if k != r.left else r.right
        a, b = g.members[k], g.members[other]
        known: dict = {}
        cache = Cache(self.cache_path or default_cache_path())
        try:
            digests_of(range(2), [a.entry, b.entry], known, cache)
        finally:
            cache.close()
        if not self.apart.add(known[0], known[1], (a.entry.path.name, b.entry.path.name)):
            return
        self._regroup_apart(f"{a.entry.path.name} and {b.entry.path.name} are kept apart "
                            "from now on (Edit → Not duplicates… to undo).")

    def _regroup_apart(self, message: str) -> None:
        self.base = replace(self.base, not_duplicates=self.apart.pairs(), digests={})
        self.regrouper.reset(self.base, None)
        self._regroup_now()
        self.statusBar().showMessage(message, 8000)

    def show_apart(self) -> None:
        dlg = ApartList(self, self.apart)
        dlg.exec()
        if dlg.changed and self.base is not None:
            self._regroup_apart("Pairs put back may be grouped again.")

    # -- selection assistant, export -------------------------------------------------
    def selection_assistant(self) -> SelectionAssistant | None:
        if not self.groups or self.busy_files:
            return None
        dlg = SelectionAssistant(self, self.groups, lambda g: self.suggestion_for(g).index,
                                 self.is_reference)
        self._assistant = dlg
        dlg.accepted.connect(lambda: self.apply_plan(dlg.current()))
        dlg.open()
        return dlg

    def apply_plan(self, plan) -> None:
        if self.decisions.set(plan.changes, label="selection assistant"):
            self._refresh_marks()
            self.statusBar().showMessage(f"Marked {plan.removals} photos Remove in {plan.groups} "
                                         "groups (Ctrl+Z undoes it).", 8000)

    def export_groups(self, target: Path | None = None) -> bool:
        """Write the groups as the CLI's JSON or CSV, in a worker (at 45k photos the
        keepers of 510 groups take seconds); True when the export was started."""
        if self.view is None:
            return False
        if target is None:
            start = str((self.folder or Path.home()) / "duplicates.json")
            chosen, _ = QFileDialog.getSaveFileName(self, "Export the groups", start,
                                                    "JSON (*.json);;CSV (*.csv)")
            if not chosen:
                return False
            target = Path(chosen)
        view, cache_path = self.view, self.cache_path
        writer = report.write_csv if target.suffix.lower() == ".csv" else report.write_json

        def work() -> int:
            cache = Cache(cache_path or default_cache_path(), check=False)  # the keepers' evidence
            try:
                writer(view, target, cache)
            finally:
                cache.close()
            return len(view.groups)

        def failed(exc: BaseException) -> None:
            why = exc.strerror or exc if isinstance(exc, OSError) else exc
            dialogs.error(self, "Export failed", f"Cannot write {target}: {why}")

        self.statusBar().showMessage(f"Exporting {len(view.groups)} groups to {target} ...")
        self.runner.run(work, lambda n: self.statusBar().showMessage(
            f"Wrote {n} groups to {target}", 8000), failed, name="duplicalt-export")
        return True

    # -- marks kept between runs -------------------------------------------------------
    def open_marks(self, roots) -> None:
        self.marks_store = MarksStore(self.data_dir / "sessions" if self.data_dir else None, roots)

    def restore_marks(self, result) -> int:
        """Marks saved for these folders come back for the photos still there."""
        if self.marks_store is None:
            return 0
        present = {e.path for e in result.entries} | {
            m.entry.path for g in result.groups for m in g.members}
        saved = {p: m for p, m in self.marks_store.load().items() if p in present}
        self.decisions.marks.update(saved)
        return len(saved)

    def save_marks(self) -> None:
        if self.marks_store is not None:
            self.marks_store.save(self.decisions.marks)

    def confirm_quit(self) -> bool:
        """True to quit. Asks when photos are marked Remove but not applied."""
        pending = len(self.decisions.removals(self.groups)) if self.groups else 0
        if not pending or self.busy_files or not self.ask_before_quit:
            return True
        text = (f"<p><b>{pending} photo{'s are' if pending != 1 else ' is'} marked Remove but "
                "not applied.</b></p><p>Nothing has been moved. The marks are saved and come "
                f"back when you open {html.escape(self.folder.name if self.folder else '')} "
                "again.</p>")
        box = QMessageBox(QMessageBox.Warning, "Quit DuplicAlt?", text,
                          QMessageBox.Cancel, self)
        box.setObjectName("confirm-quit")
        quit_button = box.addButton("Quit", QMessageBox.AcceptRole)
        box.setDefaultButton(QMessageBox.Cancel)
        box.exec()
        return box.clickedButton() is quit_button
