"""Marking photos Keep / Remove, Apply and Undo (mixed into the main window).

Marks only change the window's Decisions; files move only on Apply, in a worker
thread, through the core's journalled actions. Undo of an Apply restores the
batch from the backup folder.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path

from duplicalt.photos.types import FileEntry
from duplicalt.gui import dialogs, file_actions
from duplicalt.gui.review.marks import KEEP, REMOVE, Step
from duplicalt.gui.review.facts import suggest, suggest_all
from duplicalt.gui.settings import TRASH

log = logging.getLogger(__name__)


class ReviewActions:
    """Needs from the window: decisions, groups, review, table, group_model, top,
    runner, loader, folder, backup, gone, settings, view, _show_view, statusBar."""

    busy_files = False  # an Apply or Undo is running

    # -- showing a group -----------------------------------------------------------
    def _show_group(self, gid: int) -> None:
        if 1 <= gid <= len(self.groups):
            g = self.groups[gid - 1]
            refs = {m.entry.path for m in g.members if self.is_reference(m)}
            self.review.show_group(gid, len(self.groups), g, self.suggestion_for(g, wait=False),
                                   refs)

    def is_reference(self, member) -> bool:
        """A photo from a reference folder: shown, never offered for removal."""
        view = self.view
        return view is not None and view.is_reference(member.entry)

    def suggestion_for(self, g, wait: bool = True):
        """The suggested keeper of a group. Its evidence is read from the files, so
        it is worked out in a worker and remembered; without ``wait`` the listed
        facts answer until then (the review updates when the evidence is in)."""
        key = tuple(m.entry.path for m in g.members)
        hit = self._suggestions.get(key)
        if hit is not None:
            return hit
        flags = [self.is_reference(m) for m in g.members]
        if wait:
            hit = self._suggestions[key] = suggest(g, flags)
            return hit
        if key not in self._pending_suggestions:
            self._pending_suggestions.add(key)
            self.runner.run(lambda: suggest_all([(key, g, flags)], self.cache_path)[0][1],
                            lambda s: self._suggested(key, s),
                            lambda exc: self._pending_suggestions.discard(key))
        return suggest(g, flags, read=False)

    def _suggested(self, key, suggestion) -> None:
        self._pending_suggestions.discard(key)
        self._suggestions[key] = suggestion
        g = self.review.group
        if g is not None and tuple(m.entry.path for m in g.members) == key and \
                self.review.suggestion != suggestion:
            gid = next((k for k, x in enumerate(self.groups, 1) if x is g), 0)
            self.review.group = None  # shown again from the start, with the keeper on the left
            self.review.show_group(gid, len(self.groups), g, suggestion, self.review.reference)

    def warm_suggestions(self) -> None:
        """Work out every group's keeper in a worker, so the assistant finds them ready."""
        todo = [(tuple(m.entry.path for m in g.members), g,
                 [self.is_reference(m) for m in g.members]) for g in self.groups]
        todo = [t for t in todo if t[0] not in self._suggestions]

        def work():
            return suggest_all(todo, self.cache_path)

        def done(found) -> None:
            for key, s in found:
                self._suggestions.setdefault(key, s)

        if todo:
            self.runner.run(work, done, lambda exc: log.warning("keepers not worked out ahead: %r",
                                                                exc), name="duplicalt-keeper")

    def _refresh_marks(self) -> None:
        self.review.refresh_marks()
        self.group_model.marks_changed()
        self._update_counts()
        self.save_marks()

    def _update_counts(self) -> None:
        pending = self.decisions.removals(self.groups)
        decided = sum(1 for g in self.groups if sum(self.decisions.counts(g)) == len(g.members))
        self.top.set_pending(0 if self.busy_files else len(pending))
        if self.groups:
            self.counts.setText(f"{len(pending)} to remove  ·  {decided} of {len(self.groups)} "
                                "groups decided")
        else:
            self.counts.setText("")

    # -- marking -------------------------------------------------------------------
    def keep_current(self) -> None:
        self.mark_member(self.review.current_index(), KEEP)

    def remove_current(self) -> None:
        self.mark_member(self.review.current_index(), REMOVE)

    def mark_member(self, index: int, mark: str) -> None:
        g = self.review.group
        if g is None or self.busy_files:
            return
        path = g.members[index].entry.path
        if mark == REMOVE and self.is_reference(g.members[index]):
            self.statusBar().showMessage("A photo in a reference folder is never removed.", 5000)
            return
        if self.decisions.get(path) == mark:
            mark = None  # pressing the same mark again clears it
        elif mark == REMOVE and self.decisions.would_empty(g, path):
            self.statusBar().showMessage("Keep at least one photo of each group.", 5000)
            return
        self.decisions.set({path: mark}, label=f"{mark or 'clear'} {path.name}")
        self._refresh_marks()

    def keep_suggested(self) -> None:
        """Keep the suggested photo, remove the others, go to the next group."""
        g = self.review.group
        if g is None or self.busy_files:
            return
        keeper = self.suggestion_for(g).index
        self.decisions.set({m.entry.path: KEEP if k == keeper or self.is_reference(m) else REMOVE
                            for k, m in enumerate(g.members)}, label="keep suggested")
        self._refresh_marks()
        self.table.step(1)

    def keep_suggested_all(self) -> None:
        if not self.groups or self.busy_files:
            return
        keep, remove = set(), set()
        for g in self.groups:
            keeper = self.suggestion_for(g).index
            for k, m in enumerate(g.members):
                (keep if k == keeper or self.is_reference(m) else remove).add(m.entry.path)
        changes = {p: REMOVE for p in remove - keep}
        changes.update({p: KEEP for p in keep})
        self.decisions.set(changes, label="keep suggested in every group")
        self._refresh_marks()

    # -- apply -----------------------------------------------------------------------
    def _entries_to_remove(self) -> list[FileEntry]:
        wanted = set(self.decisions.removals(self.groups))
        seen: dict[Path, FileEntry] = {}
        for g in self.groups:
            for m in g.members:
                if m.entry.path in wanted:
                    seen.setdefault(m.entry.path, m.entry)
        return list(seen.values())

    def _jobs(self, entries: list[FileEntry]) -> list[tuple[Path, Path, list[FileEntry]]]:
        """(root, its backup folder, its photos) for each scanned folder with removals."""
        by_root: dict[Path, list[FileEntry]] = {}
        for e in entries:
            by_root.setdefault(e.root or self.folder, []).append(e)
        return [(root, self.backup if root == self.folder else self.settings.backup_for(root),
                 items) for root, items in by_root.items()]

    def apply(self) -> None:
        entries = [e for e in self._entries_to_remove() if not self.view.is_reference(e)] \
            if self.view is not None else []
        if not entries or self.busy_files or self.folder is None:
            if not entries:
                self.statusBar().showMessage("Nothing is marked Remove.", 5000)
            return
        trash = self.settings.removal == TRASH
        jobs = self._jobs(entries)
        for root, backup, _items in jobs:
            problem = file_actions.check_backup(root, backup)
            if problem:
                dialogs.error(self, "Backup folder cannot be used", problem)
                return
        size = sum(e.size for e in entries)
        more = len(jobs) - 1
        root = Path(f"{self.folder} and {more} more folder{'s' if more > 1 else ''}") \
            if more else self.folder
        backup = Path(f"{jobs[0][1]} (each folder into its own backup folder)") \
            if more else jobs[0][1]
        if not dialogs.confirm_apply(self, len(entries), size, root, backup,
                                     TRASH if trash else "backup"):
            return
        self._set_busy(True, "Moving photos…" if not trash else "Sending to the trash…")
        same_as = file_actions.kept_twins(self.groups, entries)
        self.runner.run(lambda: file_actions.apply_roots(jobs, trash, same_as),
                        lambda out: self._applied(out[0], out[1], self.backup, size),
                        lambda exc: self._file_error("Apply failed", exc))

    def _applied(self, report, batches, backup: Path, size: int) -> None:
        self._set_busy(False)
        moved = [o.path for o in report.moved]
        self.gone.update(moved)
        self.loader.forget(moved)
        if report.trash:
            self.decisions.drop(moved)
        elif moved:
            batch = batches[0] if len(batches) == 1 else batches
            self.decisions.record_apply(moved, batch, label="apply")
        self._show_view(keep_current=True)
        self.save_marks()
        text, problems = file_actions.apply_summary(report, backup, size)
        self.statusBar().showMessage(text, 15000)
        dialogs.summary(self, "Done", text, problems)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy_files = busy
        self.top.open_button.setEnabled(not busy)
        if message:
            self.statusBar().showMessage(message)
        self._update_counts()

    def _file_error(self, title: str, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, file_actions.USER_ERRORS):
            dialogs.error(self, title, str(exc))
        else:
            dialogs.error(self, title, str(exc) or type(exc).__name__, repr(exc))

    # -- undo ------------------------------------------------------------------------
    def undo(self) -> None:
        if self.busy_files:
            return
        step = self.decisions.undo()
        if step is None:
            self.statusBar().showMessage("Nothing to undo.", 4000)
            return
        if step.kind == "marks":
            self.statusBar().showMessage(f"Undone: {step.label}", 4000)
            self._refresh_marks()
            return
        self._set_busy(True, "Putting photos back…")
        applied = step.batch
        self.runner.run(lambda: file_actions.undo(applied), lambda r: self._undone(step, r),
                        lambda exc: self._undo_failed(step, exc))

    def _undone(self, step: Step, report) -> None:
        self._set_busy(False)
        restored = [o.path for o in report.restored]
        self.gone.difference_update(restored)
        self.loader.forget(restored)
        self.decisions.undo_apply(step, restored)
        self._show_view(keep_current=True)
        self.save_marks()
        text, problems = file_actions.undo_summary(report)
        self.statusBar().showMessage(text, 15000)
        if problems:
            dialogs.summary(self, "Undo", text, problems)

    def _undo_failed(self, step: Step, exc: BaseException) -> None:
        self.decisions.steps.append(step)  # still undoable once the problem is fixed
        self._file_error("Undo failed", exc)

    # -- putting back everything -------------------------------------------------------
    def restore_everything(self) -> None:
        """Put back every photo the backup folder holds, from this session or earlier ones."""
        if self.busy_files or self.backup is None:
            return
        count = file_actions.in_backup(self.backup)
        if not count:
            self.statusBar().showMessage("The backup folder holds no photos to put back.", 5000)
            return
        text = (f"<p><b>Put back all {count} photo{'s' if count != 1 else ''} from the backup "
                f"folder?</b></p><p>{html.escape(str(self.backup))}</p><p>Each goes back "
                "to its original path; a file that exists there now is never overwritten.</p>")
        if not dialogs.confirm(self, "Put back", text, "Put back", "confirm-restore"):
            return
        self._set_busy(True, "Putting photos back…")
        backup = self.backup
        self.runner.run(lambda: file_actions.restore_all(backup), self._restored_all,
                        lambda exc: self._file_error("Putting back failed", exc))

    def _restored_all(self, report) -> None:
        self._set_busy(False)
        restored = {o.path for o in report.restored}
        unknown = restored - self.gone
        self.gone.difference_update(restored)
        self.loader.forget(restored)
        self.decisions.steps = [s for s in self.decisions.steps if s.kind != "apply"]
        self._show_view(keep_current=True)
        text, problems = file_actions.undo_summary(report)
        if unknown:
            text += " Scan again (F5) to see the photos put back from earlier sessions."
        dialogs.summary(self, "Put back", text, problems)
