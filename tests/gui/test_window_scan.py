"""Scanning from the window: cancel, errors as dialogs, drag and drop, settings."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from duplicalt.gui.window import RESULTS, SCANNING, START, MainWindow
from duplicalt.gui.settings import Settings, default_backup
from tests.scan.fake_embedder import PixelEmbedder
from tests.gui.dialog_bot import DialogBot

pytestmark = pytest.mark.gui
WAIT = 60_000


class SlowEmbedder(PixelEmbedder):
    """Real vectors, but every batch of 2 takes 0.15 s: a scan long enough to cancel."""

    def __init__(self) -> None:
        super().__init__(batch_size=2, tag="slow-pixels")

    def embed(self, paths, keep=None):
        for batch in super().embed(paths, keep):
            time.sleep(0.15)
            yield batch


def new_window(qtbot, settings, factory, cache):
    w = MainWindow(settings, embedder_factory=factory, cache_path=cache)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_cancel_stops_within_a_second_and_keeps_the_cache(qtbot, settings, photo_folder, tmp_path):
    embedder = SlowEmbedder()
    w = new_window(qtbot, settings, lambda: embedder, tmp_path / "cache.sqlite")
    assert w.start_scan(photo_folder)
    assert w.stack.currentIndex() == SCANNING
    qtbot.waitUntil(lambda: embedder.calls >= 4, timeout=WAIT)
    clicked = time.monotonic()
    qtbot.mouseClick(w.scan_page.cancel_button, Qt.LeftButton)
    assert not w.scan_page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: w.stack.currentIndex() == RESULTS, timeout=WAIT)
    assert time.monotonic() - clicked < 1.0
    first = w.base.stats
    assert first.cancelled and first.embedded < 10
    assert "cancelled" in w.statusBar().currentMessage()
    assert w.partial.isVisible() and "partial" in w.partial.text()  # not only the status bar
    assert "partial result" in w.review.heading.full_text()

    w.start_scan(photo_folder)  # the cache answers what the cancelled scan finished
    qtbot.waitUntil(lambda: w.stack.currentIndex() == RESULTS and w.job is None, timeout=WAIT)
    assert w.base.stats.cached >= first.embedded > 0 and not w.base.stats.cancelled


def test_errors_are_dialogs(qtbot, settings, photo_folder, tmp_path):
    from duplicalt.ml.model.loading import ModelError

    def no_model():
        raise ModelError("No model installed: models/duplicalt-resnet18.json does not exist.")

    w = new_window(qtbot, settings, no_model, tmp_path / "cache.sqlite")
    bot = DialogBot()
    assert not w.start_scan(tmp_path / "missing")  # unreadable folder
    assert "does not exist" in bot.seen[-1][1]
    w.start_scan(photo_folder)  # model missing
    qtbot.waitUntil(lambda: len(bot.seen) == 2, timeout=WAIT)
    assert "No model installed" in bot.seen[-1][1] and w.stack.currentIndex() == START
    bot.stop()


def test_backup_folder_not_usable_is_a_dialog(qtbot, window, photo_folder, tmp_path):
    window.start_scan(photo_folder)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULTS, timeout=WAIT)
    busy = tmp_path / "not a backup"
    busy.mkdir()
    (busy / "my file.txt").write_text("mine")
    window.backup = busy
    window.table.select_gid(1)
    window.remove_current()
    bot = DialogBot()
    window.apply()
    bot.stop()
    assert bot.names() == ["error"] and "not empty" in bot.seen[0][1]
    assert all(m.entry.path.exists() for g in window.groups for m in g.members)


def drop(widget, folder) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def test_drop_a_folder_scans_it_and_settings_are_remembered(qtbot, window, photo_folder, tmp_path):
    drop(window, photo_folder)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULTS, timeout=WAIT)
    assert window.folder == photo_folder.resolve()
    assert window.backup == default_backup(photo_folder.resolve())
    window.top.slider.setValue(990)
    custom = tmp_path / "elsewhere"
    window.settings.set_backup(window.folder, custom)
    window.resize(720, 520)  # inside the offscreen screen (800 x 600)
    window.close()
    again = Settings(QSettings(window.settings.store.fileName(), QSettings.IniFormat))
    assert again.folder == photo_folder.resolve() and again.threshold() == 0.99
    assert again.backup_for(photo_folder.resolve()) == custom
    w2 = new_window(qtbot, again, lambda: None, tmp_path / "c2.sqlite")
    assert (w2.width(), w2.height()) == (720, 520)


def test_closing_during_a_scan_stops_it(qtbot, settings, photo_folder, tmp_path):
    embedder = SlowEmbedder()
    w = new_window(qtbot, settings, lambda: embedder, tmp_path / "cache.sqlite")
    w.start_scan(photo_folder)
    qtbot.waitUntil(lambda: embedder.calls >= 2, timeout=WAIT)
    job = w.job
    started = time.monotonic()
    w.close()
    assert job.cancelled and time.monotonic() - started < 3.0
    job.thread.join(5)
    assert not job.thread.is_alive()


def test_stop_checking_appears_while_new_pairs_are_checked_and_stops_them(qtbot, settings,
                                                                          tmp_path):
    from duplicalt.progress.meter import Progress

    w = new_window(qtbot, settings, PixelEmbedder, tmp_path / "cache.sqlite")
    assert w.stop_checking.isHidden()
    w.regrouper.running = True  # a regroup is verifying new pairs in its worker
    w._regroup_progress(Progress("verify", 64, 640))
    assert w.stop_checking.isVisible() and "64 / 640" in w.statusBar().currentMessage()
    qtbot.mouseClick(w.stop_checking, Qt.LeftButton)
    assert w.regrouper._cancel.is_set() and w.regrouper.wanted is None
    w.regrouper.running, w.regrouper.stopped = False, True  # the worker came back, stopped
    w._regrouped(None)  # no scan shown here: only the status bar and the button change
    assert w.stop_checking.isHidden()
    assert w.statusBar().currentMessage().startswith("Stopped checking")
