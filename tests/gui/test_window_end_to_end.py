"""Drive the real window end to end: pick a folder, scan with the tiny encoder,
see the groups, move the slider, mark with the keyboard, apply, find the removed
files in the backup folder with their relative paths, then undo."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from duplicalt.gui.review.marks import KEEP, REMOVE
from duplicalt.gui.window import RESULTS
from duplicalt.gui.settings import default_backup
from tests.gui.dialog_bot import DialogBot

pytestmark = pytest.mark.gui
WAIT = 60_000


def scan_via_open_button(qtbot, window, folder: Path, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    qtbot.mouseClick(window.top.open_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULTS, timeout=WAIT)


def identical_gid(window) -> int:
    """The group holding the byte-identical copy (it joins its twin's similar group)."""
    return next(k for k, g in enumerate(window.groups, 1)
                if any(m.entry.path.name == "a_copy.jpg" for m in g.members))


def key(qtbot, window, k, modifier=Qt.NoModifier) -> None:
    qtbot.keyClick(window, k, modifier)


def test_pick_scan_review_apply_undo(qtbot, window, photo_folder, monkeypatch):
    scan_via_open_button(qtbot, window, photo_folder, monkeypatch)
    root = photo_folder.resolve()
    # groups are listed, the corrupt file is in the Unreadable panel, not hidden
    assert window.group_model.rowCount() == len(window.groups) >= 1
    copies = [m for g in window.groups for m in g.members if m.copy_of is not None]
    assert [m.entry.path.name for m in copies] == ["a_copy.jpg"]
    unreadable = [window.problems.topLevelItem(i).text(0)
                  for i in range(window.problems.topLevelItemCount())]
    assert "broken.jpg" in unreadable and window.tabs.tabText(1) == "Unreadable (1)"

    # the slider regroups from the finished scan, without re-embedding
    slider = window.top.slider
    embedded_before = window.base.stats.embedded
    slider.setValue(slider.maximum())
    qtbot.waitUntil(lambda: window.view.threshold == 1.0, timeout=WAIT)
    assert all(g.best_similarity >= 0.9999 for g in window.groups)
    at_top = sum(len(g.members) for g in window.groups)
    slider.setValue(slider.minimum())
    qtbot.waitUntil(lambda: abs(window.view.threshold - slider.minimum() / 1000) < 1e-9,
                    timeout=WAIT)
    assert sum(len(g.members) for g in window.groups) >= at_top
    assert window.base.stats.embedded == embedded_before
    assert window.settings.threshold() == slider.minimum() / 1000

    # review the identical group: the suggested keeper is on the left, the copy right
    window.table.select_gid(identical_gid(window))
    review = window.review
    keeper = review.group.members[review.suggestion.index].entry.path
    other = review.group.members[review.current_index()].entry.path
    assert keeper.relative_to(root).as_posix() == "2020/a.jpg"
    assert other.relative_to(root).as_posix() == "copies/a_copy.jpg"
    assert "★ Suggested keeper" in review.cards[0].note.text()

    key(qtbot, window, Qt.Key_R)  # remove the current (right) photo
    assert window.decisions.get(other) == REMOVE
    key(qtbot, window, Qt.Key_Space)  # swap: the keeper is now current
    key(qtbot, window, Qt.Key_Delete)  # allowed: a_small.jpg still stays in the group
    assert window.decisions.get(keeper) == REMOVE
    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    assert window.decisions.get(keeper) is None
    key(qtbot, window, Qt.Key_K)
    assert window.decisions.get(keeper) == KEEP
    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier)  # undo the keep
    assert window.decisions.get(keeper) is None and window.decisions.get(other) == REMOVE
    assert window.top.apply_button.text() == "Apply (1)"

    # apply: the confirmation says how many files go where; then a summary
    bot = DialogBot(accept=True)
    backup = default_backup(root)
    qtbot.mouseClick(window.top.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "summary" in bot.names(), timeout=WAIT)
    confirm = dict(bot.seen)["confirm-apply"]
    assert "Move 1 photo" in confirm and str(backup) in confirm
    moved_to = backup / "copies" / "a_copy.jpg"
    assert moved_to.is_file() and not other.exists() and keeper.is_file()
    assert all(other not in {m.entry.path for m in g.members} for g in window.groups)
    assert window.top.apply_button.text() == "Apply"

    # undo puts the file back, and the group with it
    window.activateWindow()  # offscreen has no window manager to do it after the dialog
    qtbot.waitUntil(window.isActiveWindow)
    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: other.exists(), timeout=WAIT)
    qtbot.waitUntil(lambda: not window.busy_files, timeout=WAIT)
    bot.stop()
    assert not moved_to.exists()
    assert any(other in {m.entry.path for m in g.members} for g in window.groups)
    assert window.decisions.get(other) == REMOVE
