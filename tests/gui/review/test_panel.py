"""The review: keep-suggested flow, sorting, synchronised zoom, trash mode, and
thumbnails decoded off the GUI thread (EXIF orientation, HEIC)."""
from __future__ import annotations

import os
import shutil

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from duplicalt.gui.review.marks import KEEP, REMOVE
from duplicalt.gui.window import RESULTS
from duplicalt.gui.settings import TRASH
from tests.gui.dialog_bot import DialogBot
from tests.sample_photos import make_photo

pytestmark = pytest.mark.gui
WAIT = 60_000


@pytest.fixture()
def scanned(qtbot, window, photo_folder):
    window.start_scan(photo_folder)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULTS, timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_keep_suggested_marks_the_group_and_moves_on(qtbot, scanned):
    w = scanned
    first = w.review.group
    qtbot.keyClick(w, Qt.Key_S)
    marks = [w.decisions.get(m.entry.path) for m in first.members]
    assert marks.count(KEEP) == 1 and marks.count(REMOVE) == len(marks) - 1
    keeper = first.members[marks.index(KEEP)]
    assert keeper is first.members[w.review.suggestion.index] or len(w.groups) > 1
    if len(w.groups) > 1:
        assert w.review.group is not first  # moved on to the next group
    w.keep_suggested_all()
    for g in w.groups:
        kept, removed = w.decisions.counts(g)
        assert kept >= 1 and kept + removed == len(g.members)
    assert w.top.apply_button.isEnabled()


def test_group_list_sorts_by_column(scanned):
    w = scanned
    w.table.sortByColumn(1, Qt.DescendingOrder)  # photos
    sizes = [len(g.members) for _, g in w.group_model.rows]
    assert sizes == sorted(sizes, reverse=True)
    w.table.sortByColumn(3, Qt.AscendingOrder)  # bytes
    totals = [sum(m.entry.size for m in g.members) for _, g in w.group_model.rows]
    assert totals == sorted(totals)


def test_zoom_and_pan_are_synchronised(qtbot, scanned):
    left, right = (c.canvas for c in scanned.review.cards)
    qtbot.waitUntil(lambda: left.has_image() and right.has_image(), timeout=WAIT)
    left.zoom_at(QPointF(left.width() * 0.25, left.height() * 0.25), 3.0)
    assert left.zoom == pytest.approx(3.0) and right.zoom == pytest.approx(3.0)
    assert (right.cx, right.cy) == pytest.approx((left.cx, left.cy))
    assert left.cx < 0.5  # zoomed towards the point under the cursor
    left.reset_view()
    assert right.zoom == 1.0


def test_trash_mode_uses_send2trash(qtbot, scanned, monkeypatch, tmp_path):
    import send2trash

    trashed = []
    monkeypatch.setattr(send2trash, "send2trash", lambda p: (trashed.append(p), os.remove(p)))
    w = scanned
    w.settings.removal = TRASH
    gid = next(k for k, g in enumerate(w.groups, 1)
               if any(m.entry.path.name == "a_copy.jpg" for m in g.members))
    w.table.select_gid(gid)
    w.remove_current()
    bot = DialogBot()
    w.apply()
    qtbot.waitUntil(lambda: "summary" in bot.names(), timeout=WAIT)
    bot.stop()
    assert "system trash" in dict(bot.seen)["confirm-apply"]
    assert len(trashed) == 1 and trashed[0].endswith("a_copy.jpg")
    assert not w.decisions.steps or w.decisions.steps[-1].kind != "apply"  # no undo for trash


def test_thumbnails_are_upright_and_heic_decodes(qtbot, window, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    img = make_photo(5, (200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    img.save(tmp_path / "turned.jpg", exif=exif.tobytes())
    pillow_heif.register_heif_opener()
    img.save(tmp_path / "photo.heic")
    loader = window.loader
    for name in ("turned.jpg", "photo.heic"):
        assert loader.request(tmp_path / name, 64) is None  # decoded in a worker
    qtbot.waitUntil(lambda: all(loader.request(tmp_path / n, 64) is not None
                                for n in ("turned.jpg", "photo.heic")), timeout=WAIT)
    turned, heic = loader.request(tmp_path / "turned.jpg", 64), loader.request(tmp_path / "photo.heic", 64)
    assert (turned.width(), turned.height()) == (32, 64)
    assert (heic.width(), heic.height()) == (64, 32)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff nothing")
    loader.request(tmp_path / "bad.jpg", 64)
    qtbot.waitUntil(lambda: loader.error(tmp_path / "bad.jpg", 64) is not None, timeout=WAIT)


def test_zooming_past_the_preview_loads_the_full_photo(qtbot, window, tmp_path):
    from duplicalt.gui.review.panel import PREVIEW

    root = tmp_path / "big"
    root.mkdir()
    make_photo(9, (2600, 1700)).save(root / "a.jpg")
    shutil.copy(root / "a.jpg", root / "a copy.jpg")
    window.start_scan(root)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULTS, timeout=WAIT)
    left, right = (c.canvas for c in window.review.cards)
    qtbot.waitUntil(lambda: left.has_image() and right.has_image(), timeout=WAIT)
    assert left._pixmap.width() == PREVIEW
    left.zoom_at(QPointF(10, 10), 20.0)
    qtbot.waitUntil(lambda: left._pixmap.width() == 2600 and right._pixmap.width() == 2600,
                    timeout=WAIT)
    assert right.zoom == pytest.approx(left.zoom)


def test_put_back_everything_from_the_backup_folder(qtbot, scanned):
    w = scanned
    gid = next(k for k, g in enumerate(w.groups, 1)
               if any(m.entry.path.name == "a_copy.jpg" for m in g.members))
    w.table.select_gid(gid)
    copy = w.review.group.members[w.review.current_index()].entry.path
    w.remove_current()
    bot = DialogBot()
    w.apply()
    qtbot.waitUntil(lambda: bot.names().count("summary") == 1, timeout=WAIT)
    assert not copy.exists()
    w.restore_everything()
    qtbot.waitUntil(lambda: bot.names().count("summary") == 2, timeout=WAIT)
    bot.stop()
    assert "confirm-restore" in bot.names() and copy.exists()
    assert not any(s.kind == "apply" for s in w.decisions.steps)


def test_removing_the_last_kept_photo_of_a_group_is_refused(qtbot, scanned):
    w = scanned
    gid = next(k for k, g in enumerate(w.groups, 1)
               if sorted(m.entry.path.name for m in g.members) == ["b.png", "b_export.jpg"])
    w.table.select_gid(gid)
    qtbot.keyClick(w, Qt.Key_R)  # remove the current photo
    qtbot.keyClick(w, Qt.Key_Space)  # the other one is current now
    qtbot.keyClick(w, Qt.Key_Delete)  # refused: nothing of the group would stay
    marks = sorted(str(w.decisions.get(m.entry.path)) for m in w.review.group.members)
    assert marks == ["None", REMOVE]
