import shutil
import threading

import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import regroup
from duplicalt.pairing.types import IDENTICAL, SIMILAR
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


def library(tmp_path):
    root = tmp_path / "photos"
    a = make_photo(10, (320, 240))
    save(a, root / "2020" / "a.jpg", quality=95)
    save(a.resize((160, 120)), root / "2020" / "a_small.jpg", quality=80)
    (root / "copies").mkdir()
    shutil.copy(root / "2020" / "a.jpg", root / "copies" / "a_copy.jpg")
    for k in range(5):
        save(make_photo(100 + k, (320, 240)), root / "other" / f"o{k}.png")
    shutil.copy(root / "other" / "o3.png", root / "other" / "o3_copy.png")
    (root / "broken.jpg").write_bytes((root / "2020" / "a.jpg").read_bytes()[:500])
    (root / "zero.jpg").write_bytes(b"")
    return root


def test_scan_groups_identical_and_similar(tmp_path):
    root = library(tmp_path)
    emb = PixelEmbedder()
    r = scan(root, emb, 0.97, cache=Cache(tmp_path / "c.sqlite"))
    tiers = [(g.tier, sorted(m.entry.rel for m in g.members)) for g in r.groups]
    # the byte-identical copy joins the similar group of its twin: one group per file
    assert tiers == [(IDENTICAL, ["other/o3.png", "other/o3_copy.png"]),
                     (SIMILAR, ["2020/a.jpg", "2020/a_small.jpg", "copies/a_copy.jpg"])]
    copy = next(m for m in r.groups[1].members if m.entry.rel == "copies/a_copy.jpg")
    assert copy.copy_of.name == "a.jpg" and copy.info.width == 320
    bad = {u.path.name: u.reason for u in r.unreadable}
    assert "truncated" in bad["broken.jpg"] and "empty" in bad["zero.jpg"]
    assert r.stats.files == 10 and r.stats.identical_files == 2
    assert emb.calls == 8  # the identical copies are not embedded again
    g = next(g for g in r.groups if g.tier == SIMILAR)
    small = [m.entry.rel for m in g.members].index("2020/a_small.jpg")
    assert g.members[small].info.width == 160
    assert all(s > 0.97 for _, _, s in g.pairs) and len(g.pairs) == 3


def test_second_scan_is_answered_by_cache(tmp_path):
    root = library(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    first = scan(root, PixelEmbedder(), 0.97, cache=cache)
    again = PixelEmbedder()
    second = scan(root, again, 0.97, cache=cache)
    assert again.calls == 0 and second.stats.embedded == 0 and second.stats.cached == 8
    assert [[m.entry.rel for m in g.members] for g in first.groups] == \
        [[m.entry.rel for m in g.members] for g in second.groups]
    assert np.array_equal(first.vectors, second.vectors)
    save(make_photo(55), root / "other" / "o0.png")  # one file changed
    third = PixelEmbedder()
    scan(root, third, 0.97, cache=cache)
    assert third.calls == 1


def test_cancel_keeps_finished_batches(tmp_path):
    root = library(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    cancel = threading.Event()
    emb = PixelEmbedder(batch_size=2)

    def stop_after_first_batch(p):
        if p.stage == "embed" and p.done >= 2:
            cancel.set()

    r = scan(root, emb, 0.97, cache=cache, progress=stop_after_first_batch, cancel=cancel)
    assert r.stats.cancelled and emb.calls == 2
    resumed = PixelEmbedder()
    scan(root, resumed, 0.97, cache=cache)
    assert resumed.calls == 6


def test_regroup_without_reembedding(tmp_path):
    root = library(tmp_path)
    r = scan(root, PixelEmbedder(), 1.0, cache=Cache(None))
    assert len(r.similar) == 0
    lower = regroup(r, 0.97)
    assert len(lower.similar) == 1 and lower.threshold == 0.97
    back = regroup(lower, 1.0)  # filtered from the stored pairs
    assert len(back.similar) == 0 and back.pairs is lower.pairs


def test_progress_reports_rate_and_eta(tmp_path):
    root = library(tmp_path)
    seen = []
    scan(root, PixelEmbedder(), 0.97, cache=Cache(None), progress=seen.append)
    embeds = [p for p in seen if p.stage == "embed"]
    assert embeds[-1].done == embeds[-1].total == 8
    assert all(p.rate >= 0 for p in embeds) and embeds[-1].eta_s == 0


def test_links_never_in_groups(tmp_path):
    root = library(tmp_path)
    (root / "alias.jpg").symlink_to(root / "2020" / "a.jpg")
    r = scan(root, PixelEmbedder(), 0.97, cache=Cache(None))
    assert [l.path.name for l in r.links] == ["alias.jpg"]
    assert all(m.entry.path.name != "alias.jpg" for g in r.groups for m in g.members)


def test_several_folders_and_a_reference_folder(tmp_path):
    a, b, ref = tmp_path / "A", tmp_path / "B", tmp_path / "A" / "keep"
    photo = make_photo(10, (320, 240))
    save(photo, ref / "orig.jpg", quality=95)  # a reference folder inside a scanned one
    save(photo.resize((160, 120)), a / "small.jpg", quality=80)
    save(photo.resize((200, 150)), b / "mid.jpg", quality=80)
    save(make_photo(11, (320, 240)), b / "other.jpg")
    r = scan([a, b], PixelEmbedder(), 0.97, reference=[ref])
    assert r.root == a.resolve() and r.roots == (a.resolve(), b.resolve(), ref.resolve())
    assert r.reference == (ref.resolve(),)
    (g,) = r.groups
    roots = {m.entry.path.name: (m.entry.root, m.entry.rel) for m in g.members}
    assert roots == {"orig.jpg": (ref.resolve(), "orig.jpg"), "small.jpg": (a.resolve(), "small.jpg"),
                     "mid.jpg": (b.resolve(), "mid.jpg")}  # each file found once, in its own root
    assert [m.entry.path.name for m in g.members if r.is_reference(m.entry)] == ["orig.jpg"]


def test_not_duplicates_stay_apart_after_a_rename_and_on_regroup(tmp_path):
    from duplicalt.scan.pipeline import content_digest

    root = library(tmp_path)
    first = scan(root, PixelEmbedder(), 0.97)
    similar = next(g for g in first.groups if g.tier == SIMILAR)
    names = {m.entry.path.name: m.entry.path for m in similar.members}
    apart = frozenset({frozenset((content_digest(names["a.jpg"]),
                                  content_digest(names["a_small.jpg"])))})
    (root / "2020" / "a_small.jpg").rename(root / "moved.jpg")  # renamed and moved
    r = scan(root, PixelEmbedder(), 0.97, not_duplicates=apart)
    grouped = [sorted(m.entry.path.name for m in g.members) for g in r.groups]
    assert ["a.jpg", "a_copy.jpg"] in grouped  # the identical copy still groups with a.jpg
    assert not any("moved.jpg" in g for g in grouped)
    lower = regroup(r, 0.9)
    assert not any("moved.jpg" in sorted(m.entry.path.name for m in g.members) and
                   "a.jpg" in [m.entry.path.name for m in g.members] for g in lower.groups)
    assert any("moved.jpg" in [m.entry.path.name for m in g.members]
               for g in scan(root, PixelEmbedder(), 0.97).groups)  # not remembered: grouped
