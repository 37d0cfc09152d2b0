"""Several folders in one scan (mixed into the main window): the first is the
one opened, more can be added, reference folders are scanned but never offered
for removal, excluded folders are skipped; the last set is offered again at
start-up and reopens from the cache without re-embedding."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from duplicalt.photos.walk import folder_problem
from duplicalt.gui import dialogs
from duplicalt.gui.scan.worker import ScanJob, ScanRequest
from duplicalt.gui.settings import is_inside

SCANNING = 1  # the window's scan page


class FolderActions:
    """Needs from the window: settings, decisions, top, scan_page, runner, apart,
    cache_path, gone, _suggestions, open_marks, _set_page, _scan_done, _scan_failed."""

    def rescan(self) -> None:
        if self.folder is not None:
            self.start_scan(self.folder, self.folders[1:], self.references, self.excluded)

    def _last_folders(self) -> list[Path]:
        return [f for f in self.settings.folders if f.is_dir()]

    def reopen_last(self) -> bool:
        """Scan the last session's folders again: the cache answers, nothing is re-embedded."""
        last = self._last_folders()
        if not last:
            return False
        refs = [r for r in self.settings.references if r.is_dir()]
        return self.start_scan(last[0], last[1:], refs, self.settings.excluded)

    def start_scan(self, folder: Path, more=(), reference=(), exclude=()) -> bool:
        if self.job is not None:
            return False
        folders = list(dict.fromkeys(Path(f).resolve() for f in [folder, *more]))
        refs = [r for r in dict.fromkeys(Path(r).resolve() for r in reference)
                if r not in folders]
        for f in folders + refs:
            problem = folder_problem(f)
            if problem:
                dialogs.error(self, "Cannot scan this folder", problem)
                return False
        folder = folders[0]
        if folder != self.folder or folders != self.folders or refs != self.references:
            self.decisions.marks.clear()
            self.decisions.steps.clear()
        self.folder, self.folders, self.references = folder, folders, refs
        self.excluded = [Path(e).resolve() for e in exclude]
        self.settings.folder, self.settings.folders = folder, folders
        self.settings.references, self.settings.excluded = refs, self.excluded
        self.backup = self.settings.backup_for(folder)
        more_text = self._more_text()
        self.top.set_folder(folder, more_text)
        self.setWindowTitle(f"{folder.name} – DuplicAlt")
        self.gone.clear()
        self._suggestions.clear()
        self._pending_suggestions.clear()
        self.open_marks(folders + refs)
        self.scan_page.start(folder, more_text)
        self._set_page(SCANNING)
        backups = {self.settings.backup_for(f) for f in folders}
        skip = tuple(b for b in backups if any(is_inside(b, f) for f in folders + refs))
        req = ScanRequest(tuple(folders), None, skip + tuple(self.excluded), self.cache_path,
                          self.settings.verify, tuple(refs), self.settings.remembered(),
                          self.apart.pairs())
        self.job = ScanJob(self.runner, self._get_embedder)
        self.job.start(req, self.scan_page.show_progress, self._scan_done, self._scan_failed)
        return True

    def _more_text(self) -> str:
        parts = []
        if len(self.folders) > 1:
            parts.append(f"+ {len(self.folders) - 1} more")
        if self.references:
            parts.append(f"reference: {', '.join(r.name for r in self.references)}")
        if self.excluded:
            parts.append(f"{len(self.excluded)} excluded")
        return f"  ({'; '.join(parts)})" if parts else ""

    # -- folders ---------------------------------------------------------------------
    def _pick(self, title: str) -> Path | None:
        start = str(self.folder or self.settings.folder or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, title, start)
        return Path(chosen).resolve() if chosen else None

    def add_folder(self, folder: Path | None = None) -> None:
        folder = folder or self._pick("Add a folder to the scan")
        if folder is None:
            return
        if not self.folders:
            self.start_scan(folder)
            return
        self.start_scan(self.folders[0], [*self.folders[1:], folder], self.references,
                        self.excluded)

    def add_reference(self, folder: Path | None = None) -> None:
        """Scan a folder too, but never offer its photos for removal."""
        folder = folder or self._pick("Add a reference folder (never removed)")
        if folder is None or not self.folders:
            return
        refs = [r for r in self.references if r != folder] + [folder]
        more = [f for f in self.folders[1:] if f != folder]
        self.start_scan(self.folders[0], more, refs, self.excluded)

    def exclude_folder(self, folder: Path | None = None) -> None:
        folder = folder or self._pick("Exclude a folder from the scan")
        if folder is None or not self.folders:
            return
        self.start_scan(self.folders[0], self.folders[1:], self.references,
                        [*self.excluded, folder])

    def clear_folders(self) -> None:
        """Scan the first folder alone again (no added, reference or excluded folders)."""
        if self.folders:
            self.start_scan(self.folders[0], (), (), ())
