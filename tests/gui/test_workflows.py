"""The user's clean-up workflows in the real window: the selection assistant,
reference and excluded folders, "not a duplicate" across a rename, marks kept
over a restart, the question before quitting, and sorting + keyboard marking
acting on the highlighted group."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from duplicalt.gui.review.marks import KEEP, REMOVE
from duplicalt.gui.window import RESULTS, START, MainWindow
from tests.gui.dialog_bot import DialogBot
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save

pytestmark = pytest.mark.gui
WAIT = 60_000


def scan(qtbot, w, folder, more=(), reference=(), exclude=()) -> None:
    assert w.start_scan(folder, more, reference, exclude)
    qtbot.waitUntil(lambda: w.job is None and w.stack.currentIndex() == RESULTS, timeout=WAIT)


def gid_with(w, name: str) -> int:
    return next(k for k, g in enumerate(w.groups, 1)
                if any(m.entry.path.name == name for m in g.members))


def names(g) -> set[str]:
    return {m.entry.path.name for m in g.members}


def test_selection_assistant_previews_then_marks_every_group(qtbot, window, photo_folder):
    scan(qtbot, window, photo_folder)
    dlg = window.selection_assistant()
    dlg.set_rule("largest")
    plan = dlg.current()
    assert plan.groups == len(window.groups) and not window.decisions.marks  # only a preview
    assert "would be marked Remove" in dlg.summary.text() and dlg.preview.count() == plan.groups
    a_group = window.groups[gid_with(window, "a_small.jpg") - 1]
    kept = {m.entry.path.name for m in a_group.members if plan.changes[m.entry.path] == KEEP}
    assert "a_small.jpg" not in kept and kept & {"a.jpg", "a_copy.jpg"}
    dlg.set_rule("folder", (photo_folder / "copies").resolve())
    plan = dlg.current()
    assert plan.groups == 1 and plan.skipped == len(window.groups) - 1
    assert {p.name for p, m in plan.changes.items() if m == KEEP} == {"a_copy.jpg"}
    dlg.set_rule("oldest")
    dlg.accept()
    assert window.decisions.marks and len(window.decisions.removals(window.groups)) == \
        sum(len(g.members) - 1 for g in window.groups)
    window.undo()  # the whole assistant run is one step
    assert not window.decisions.marks


def test_a_reference_folder_is_shown_never_removed(qtbot, window, tmp_path):
    photo = make_photo(7, (360, 240))
    scanned, ref = tmp_path / "new", tmp_path / "archive"
    save(photo.resize((180, 120)), scanned / "small.jpg")
    save(photo.resize((240, 160)), scanned / "mid.jpg")
    save(photo, ref / "original.jpg", quality=95)
    scan(qtbot, window, scanned, reference=[ref])
    (g,) = window.groups
    assert names(g) == {"small.jpg", "mid.jpg", "original.jpg"}
    ref_index = next(k for k, m in enumerate(g.members) if m.entry.path.name == "original.jpg")
    assert window.review.suggestion.index == ref_index
    assert window.review.suggestion.reason == "in a reference folder"
    assert "reference" in window.top.folder_label.full_text()
    window.mark_member(ref_index, REMOVE)
    assert window.decisions.get(g.members[ref_index].entry.path) is None  # refused
    window.keep_suggested()
    assert window.decisions.get(g.members[ref_index].entry.path) == KEEP
    assert {e.path.name for e in window._entries_to_remove()} == {"small.jpg", "mid.jpg"}


def test_excluded_and_added_folders(qtbot, window, photo_folder, tmp_path):
    scan(qtbot, window, photo_folder, exclude=[photo_folder / "copies"])
    grouped = {n for g in window.groups for n in names(g)}
    assert "a_copy.jpg" not in grouped and "a_small.jpg" in grouped
    other = tmp_path / "more"
    other.mkdir()
    shutil.copy(photo_folder / "b.png", other / "b_again.png")
    window.add_folder(other)  # the same scan, one more folder, the exclusion kept
    qtbot.waitUntil(lambda: window.job is None and window.stack.currentIndex() == RESULTS,
                    timeout=WAIT)
    assert window.folders == [photo_folder.resolve(), other.resolve()]
    grouped = {n for g in window.groups for n in names(g)}
    assert "b_again.png" in grouped and "a_copy.jpg" not in grouped


def test_not_a_duplicate_survives_a_rename(qtbot, window, photo_folder):
    scan(qtbot, window, photo_folder)
    window.table.select_gid(gid_with(window, "b_export.jpg"))
    assert names(window.review.group) == {"b.png", "b_export.jpg"}
    window.not_duplicate()
    qtbot.waitUntil(lambda: not any("b_export.jpg" in names(g) for g in window.groups),
                    timeout=WAIT)
    assert len(window.apart.listed()) == 1
    (photo_folder / "b_export.jpg").rename(photo_folder / "other" / "renamed.jpg")
    window.rescan()
    qtbot.waitUntil(lambda: window.job is None and window.stack.currentIndex() == RESULTS,
                    timeout=WAIT)
    assert not any("renamed.jpg" in names(g) for g in window.groups)
    item = window.apart.listed()[0]
    assert window.apart.remove(item.a, item.b)  # what the list dialog's "Put back" does
    window.rescan()
    qtbot.waitUntil(lambda: window.job is None and window.stack.currentIndex() == RESULTS,
                    timeout=WAIT)
    assert any(names(g) == {"b.png", "renamed.jpg"} for g in window.groups)


def test_marks_survive_a_restart_without_re_embedding(qtbot, window, settings, photo_folder,
                                                      tmp_path):
    scan(qtbot, window, photo_folder)
    window.table.select_gid(gid_with(window, "a_small.jpg"))
    small = next(k for k, m in enumerate(window.review.group.members)
                 if m.entry.path.name == "a_small.jpg")
    window.mark_member(small, REMOVE)
    window.close()  # marks were saved as they were made
    again = MainWindow(settings, embedder_factory=PixelEmbedder,
                       cache_path=tmp_path / "cache.sqlite")
    qtbot.addWidget(again)
    again.show()
    assert again.stack.currentIndex() == START
    assert again.start_page.last_button.isVisible()
    assert photo_folder.name in again.start_page.last_button.text()
    qtbot.mouseClick(again.start_page.last_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: again.job is None and again.stack.currentIndex() == RESULTS,
                    timeout=WAIT)
    assert again.base.stats.embedded == 0  # the cache answered
    assert [p.name for p in again.decisions.removals(again.groups)] == ["a_small.jpg"]
    again.close()


def test_quitting_with_marks_not_applied_asks(qtbot, window, photo_folder):
    scan(qtbot, window, photo_folder)
    window.ask_before_quit = True
    window.remove_current()
    bot = DialogBot(accept=False)  # Cancel: the window stays
    try:
        assert not window.close()
        qtbot.waitUntil(lambda: "confirm-quit" in bot.names(), timeout=WAIT)
        assert window.isVisible() and "not applied" in bot.seen[-1][1]
    finally:
        bot.stop()
    bot = DialogBot(accept=True)  # Quit
    try:
        assert window.close()
    finally:
        bot.stop()


def test_sorting_keeps_the_highlighted_row_on_the_group_under_review(qtbot, window,
                                                                    photo_folder):
    scan(qtbot, window, photo_folder)
    assert len(window.groups) >= 2
    window.table.select_gid(gid_with(window, "b_export.jpg"))
    for column, order in ((1, Qt.DescendingOrder), (3, Qt.AscendingOrder),
                          (1, Qt.AscendingOrder)):
        window.table.horizontalHeader().setSortIndicator(column, order)
        row = window.table.currentIndex().row()
        highlighted = window.group_model.rows[row][1]
        assert names(highlighted) == names(window.review.group) == {"b.png", "b_export.jpg"}
    window.table.step(1)  # ↓ moves in the sorted order, and K marks what is highlighted
    row = window.table.currentIndex().row()
    highlighted = window.group_model.rows[row][1]
    assert names(window.review.group) == names(highlighted)
    qtbot.keyClick(window, Qt.Key_K)
    current = window.review.group.members[window.review.current_index()].entry.path
    assert window.decisions.get(current) == KEEP
    assert current in {m.entry.path for m in highlighted.members}


def test_export_writes_the_groups_as_the_cli_does(qtbot, window, photo_folder, tmp_path):
    import json

    scan(qtbot, window, photo_folder)
    assert window.export_groups(tmp_path / "groups.json")  # written in a worker
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Wrote"),
                    timeout=WAIT)
    data = json.loads((tmp_path / "groups.json").read_text())
    assert data["root"] == str(photo_folder.resolve()) and len(data["groups"]) == len(
        window.view.groups)
    assert window.export_groups(tmp_path / "groups.csv")
    qtbot.waitUntil(lambda: (tmp_path / "groups.csv").exists() and
                    window.statusBar().currentMessage().startswith("Wrote"), timeout=WAIT)
    assert (tmp_path / "groups.csv").read_text().startswith("group,tier,path")


def test_an_export_that_cannot_be_written_says_so(qtbot, window, photo_folder, tmp_path,
                                                   monkeypatch):
    from duplicalt.gui import dialogs

    said = []
    monkeypatch.setattr(dialogs, "error", lambda parent, title, text: said.append((title, text)))
    scan(qtbot, window, photo_folder)
    assert window.export_groups(tmp_path / "no such folder" / "groups.json")
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert said[0][0] == "Export failed" and "no such folder" in said[0][1]


def test_the_right_click_menu(qtbot, window, photo_folder, monkeypatch):
    from duplicalt.gui.session import context

    scan(qtbot, window, photo_folder)
    opened = []
    monkeypatch.setattr(context, "open_file", lambda p: opened.append(("open", p)))
    monkeypatch.setattr(context, "reveal", lambda p: opened.append(("reveal", p)))
    card = window.review.cards[1]
    window.photo_menu(window.review.current_index(), card.mapToGlobal(card.rect().center()))
    menu = window._menu
    actions = {a.objectName(): a for a in menu.actions() if a.objectName()}
    assert set(actions) == {"open", "reveal", "copy", "keep", "remove", "apart"}
    path = window.review.group.members[window.review.current_index()].entry.path
    actions["reveal"].trigger()
    actions["open"].trigger()
    actions["copy"].trigger()
    menu.close()
    assert opened == [("reveal", path), ("open", path)]
    assert QApplication.clipboard().text() == str(path)
    qtbot.keyClick(window, Qt.Key_O)
    assert opened[-1] == ("open", path)


def test_one_progress_bar_whose_eta_does_not_restart_per_stage(qtbot, window, monkeypatch):
    from duplicalt.gui import widgets
    from duplicalt.progress.meter import Progress

    page, now = window.scan_page, [100.0]
    monkeypatch.setattr(widgets.time, "monotonic", lambda: now[0])
    page.start(window.folder or widgets.Path("/photos"))
    etas = []
    for stage, done, total in (("walk", 50, 0), ("hash", 10, 10), ("embed", 50, 100),
                               ("embed", 100, 100), ("verify", 1, 40), ("verify", 30, 40)):
        now[0] += 5.0
        page.show_progress(Progress(stage, done, total))
        etas.append(page.detail.text())
    values = [page.bar.value()]
    assert all("left" in t for t in etas[2:]) and values[0] > 900
    seconds = [int(t.split("about ")[1].split(" s")[0]) for t in etas[2:] if " min" not in t]
    # a new stage does not start the estimate again ("6 s left" never becomes "58 s left")
    assert all(b <= a * 1.5 + 2 for a, b in zip(seconds, seconds[1:])) and seconds[-1] < seconds[0]


def test_small_photos_and_long_names_are_shown_whole(qtbot, window):
    from pathlib import Path

    from duplicalt.gui.review.facts import megapixels
    from duplicalt.gui.widgets import ElidedLabel
    from duplicalt.pairing.types import Member
    from duplicalt.photos.types import FileEntry, PhotoInfo

    m = Member(FileEntry(Path("/p/x.jpg"), "x.jpg", 1, 1, "jpeg"), PhotoInfo(250, 167, "JPEG"), 1)
    assert megapixels(m) == "250 × 167 · 0.04 MP"
    label = ElidedLabel("a_very_long_file_name_from_a_phone_IMG_20230714_190231.jpg")
    qtbot.addWidget(label)
    label.resize(label.fontMetrics().horizontalAdvance("M") * 10, 20)
    label.show()
    assert label.text().endswith("…") and label.toolTip().endswith(".jpg")
    assert label.full_text().startswith("a_very_long")


def test_the_remembered_slider_value_belongs_to_its_kind_of_scan(settings):
    from types import SimpleNamespace

    from duplicalt.gui.scan.worker import ScanRequest, start_threshold

    model = SimpleNamespace(model_id="m1", meta={"default_threshold": 0.55,
                                                 "embedding_only_threshold": 0.85})
    settings.set_threshold(0.6, verified=True, model_id="m1")
    req = ScanRequest("/p", None, remembered=settings.remembered())
    assert start_threshold(req, model, verified=True) == 0.6
    assert start_threshold(req, model, verified=False) == 0.85  # not the verified 0.6
    other = SimpleNamespace(model_id="m2", meta=model.meta)
    assert start_threshold(req, other, verified=True) == 0.55  # chosen for another model
    assert start_threshold(ScanRequest("/p", 0.7), model, verified=False) == 0.7


def test_the_review_shows_the_keeper_found_by_evidence(qtbot, window, tmp_path):
    from PIL import ImageOps

    photo = make_photo(9, (360, 240))
    save(photo, tmp_path / "p" / "orig.jpg", quality=92)
    save(ImageOps.expand(photo, border=12, fill=(255, 255, 255)), tmp_path / "p" / "framed.jpg",
         quality=92)  # larger, so "highest resolution" alone would keep the copy
    scan(qtbot, window, tmp_path / "p")
    (g,) = window.groups
    qtbot.waitUntil(lambda: window.review.suggestion.reason.endswith("border or frame"),
                    timeout=WAIT)
    keeper = g.members[window.review.suggestion.index].entry.path.name
    assert keeper == "orig.jpg" and window.review.cards[0].member.entry.path.name == "orig.jpg"
    assert "border" in window.review.cards[0].note.text()


def test_the_not_duplicates_list_puts_a_pair_back(qtbot, window, tmp_path):
    from duplicalt.gui.session.apart_list import ApartList

    window.apart.add("d1", "d2", ("x.jpg", "y.jpg"))
    dlg = ApartList(window, window.apart)
    qtbot.addWidget(dlg)
    assert dlg.list.count() == 1 and "x.jpg ≠ y.jpg" in dlg.list.item(0).text()
    dlg.list.setCurrentRow(0)
    qtbot.mouseClick(dlg.forget_button, Qt.LeftButton)
    assert dlg.changed and dlg.list.count() == 0 and not window.apart.pairs()


def test_apply_moves_each_folder_into_its_own_backup_and_undo_puts_back(qtbot, window,
                                                                        tmp_path):
    from duplicalt.gui.settings import default_backup

    a, b = tmp_path / "A", tmp_path / "B"
    for folder, seed in ((a, 30), (b, 31)):
        photo = make_photo(seed, (360, 240))
        save(photo, folder / "orig.jpg", quality=95)
        save(photo.resize((180, 120)), folder / "sub" / "small.jpg")
    scan(qtbot, window, a, [b])
    assert len(window.groups) == 2
    window.keep_suggested_all()
    assert {p.name for p in window.decisions.removals(window.groups)} == {"small.jpg"}
    bot = DialogBot(accept=True)
    try:
        window.apply()
        qtbot.waitUntil(lambda: not window.busy_files and not (a / "sub" / "small.jpg").exists()
                        and not (b / "sub" / "small.jpg").exists(), timeout=WAIT)
        for folder in (a, b):  # relative to its own root, in that root's backup
            assert (default_backup(folder) / "sub" / "small.jpg").is_file()
        assert not window.groups
        window.undo()
        qtbot.waitUntil(lambda: (a / "sub" / "small.jpg").exists() and
                        (b / "sub" / "small.jpg").exists() and not window.busy_files,
                        timeout=WAIT)
        assert len(window.groups) == 2
    finally:
        bot.stop()


def test_the_keepers_evidence_is_kept_in_the_cache_for_the_next_scan(qtbot, window, tmp_path,
                                                                      monkeypatch):
    from PIL import ImageOps

    from duplicalt.photos.cache import Cache
    from duplicalt.review import evidence, evidence_store

    photo = make_photo(9, (360, 240))
    save(photo, tmp_path / "p" / "orig.jpg", quality=92)
    save(ImageOps.expand(photo, border=12, fill=(255, 255, 255)), tmp_path / "p" / "framed.jpg",
         quality=92)
    real, reads = evidence.read_evidence, []
    monkeypatch.setattr(evidence, "read_evidence", lambda p: reads.append(p) or real(p))
    monkeypatch.setattr(evidence, "_memo", type(evidence._memo)())
    scan(qtbot, window, tmp_path / "p")
    (g,) = window.groups
    qtbot.waitUntil(lambda: window.review.suggestion.reason.endswith("border or frame"),
                    timeout=WAIT)
    entries = [m.entry for m in g.members]
    cache = Cache(window.cache_path)
    try:
        qtbot.waitUntil(lambda: evidence_store.stored_count(cache, entries) == 2, timeout=WAIT)
    finally:
        cache.close()
    evidence._memo.clear()  # as after a restart
    reads.clear()
    scan(qtbot, window, tmp_path / "p")
    qtbot.waitUntil(lambda: window.review.suggestion.reason.endswith("border or frame"),
                    timeout=WAIT)
    assert reads == []  # the second scan's keeper came from the cache
