"""A photo shown on an album page is found through the page's region vectors,
and the matcher judges that part of the page alone."""
import numpy as np
from PIL import Image

from duplicalt.ml.matcher import OrbMatcher
from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import regroup
from duplicalt.review.keeper import suggest_keeper
from duplicalt.review.report import group_dict, summary
from tests.scan.fake_embedder import PixelEmbedder, RegionPixelEmbedder
from tests.sample_photos import make_photo, save


def textured(seed: int, size=(360, 270)) -> Image.Image:
    """A photo with enough fine texture for ORB (noise over the shapes)."""
    rng = np.random.default_rng(seed)
    base = np.asarray(make_photo(seed, size), np.int16)
    noise = rng.integers(-60, 60, base.shape[:2])[..., None]
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def album(tmp_path):
    root = tmp_path / "lib"
    shown = textured(1)
    save(shown, root / "shown.png")
    for s in (2, 3):
        save(textured(s), root / f"other{s}.png")
    page = Image.new("RGB", (3 * 180 + 4 * 20, 200), (240, 240, 235))
    for k, pic in enumerate([textured(4), shown, textured(5)]):
        page.paste(pic.resize((180, 135)), (20 + k * 200, 30))
    save(page, root / "page.png")
    return root


def names(result):
    return [sorted(m.entry.path.name for m in g.members) for g in result.similar]


def test_the_page_groups_with_the_photo_it_shows(tmp_path):
    root = album(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    found = scan(root, RegionPixelEmbedder(), 0.9, cache=cache, verifier=OrbMatcher())
    assert names(found) == [["page.png", "shown.png"]]
    k = int(np.flatnonzero(found.pairs.scores >= 20)[0])
    assert found.pairs.region[k] >= 0  # through the page's region, judged on it alone
    warm = scan(root, RegionPixelEmbedder(), 0.9, cache=cache, verifier=OrbMatcher())
    assert names(warm) == names(found) and warm.stats.embedded == 0
    assert names(regroup(found, 0.95)) == names(found)
    assert names(scan(root, PixelEmbedder(), 0.9, verifier=OrbMatcher())) == []


class CountingMatcher(OrbMatcher):
    def __init__(self):
        super().__init__()
        self.judged = []

    def verify_similar(self, pairs, sims):
        self.judged += pairs
        return super().verify_similar(pairs, sims)


def test_region_verdicts_are_cached_under_how_regions_were_found(tmp_path):
    """A warm re-scan reuses the region verdict; another way of finding regions
    (another box for the same pair of files) is judged anew, not read back."""
    root = album(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    first = CountingMatcher()
    scan(root, RegionPixelEmbedder(), 0.9, cache=cache, verifier=first)
    assert any(type(a).__name__ == "RegionRef" or type(b).__name__ == "RegionRef"
               for a, b in first.judged)
    warm = CountingMatcher()
    scan(root, RegionPixelEmbedder(), 0.9, cache=cache, verifier=warm)
    assert warm.judged == []
    other = CountingMatcher()
    found = scan(root, RegionPixelEmbedder(regions_key="xycut-v2"), 0.9, cache=cache,
                 verifier=other)
    assert [p for p in other.judged if "RegionRef" in {type(p[0]).__name__, type(p[1]).__name__}]
    assert names(found) == [["page.png", "shown.png"]]


def test_the_whole_page_does_not_pass_the_matcher(tmp_path):
    """Without the region the matcher sees the whole page: the photo is a third
    of it, and too small there for 20 inliers (why regions are judged alone)."""
    root = album(tmp_path)
    m = OrbMatcher()
    assert (m.score(root / "page.png", root / "shown.png") or 0) < 20


def two_photo_page(tmp_path):
    """A library of two photos and an album page showing both side by side."""
    root = tmp_path / "lib"
    first, second = textured(11), textured(12)
    save(first, root / "first.png")
    save(second, root / "second.png")
    page = Image.new("RGB", (2 * 180 + 3 * 20, 200), (240, 240, 235))
    for k, pic in enumerate([first, second]):
        page.paste(pic.resize((180, 135)), (20 + k * 200, 30))
    save(page, root / "page.png")
    return root


def test_a_page_showing_two_library_photos_never_groups_them_together(tmp_path):
    root = two_photo_page(tmp_path)
    found = scan(root, RegionPixelEmbedder(), 0.9, verifier=OrbMatcher())
    through = found.pairs.subset(found.pairs.region >= 0)
    assert len(through.i) >= 2 and (through.scores >= 20).sum() >= 2  # both shown, both verified
    groups = names(found)
    assert len(groups) == 1 and "page.png" in groups[0] and len(groups[0]) == 2
    assert names(regroup(found, 0.92)) == groups
    for result in (found, regroup(found, 0.92)):
        (group,) = result.similar
        flags = {m.entry.path.name: m.shows_another for m in group.members}
        (_, _, between), = group.pairs  # the region's similarity, not the whole page's cosine
        assert between == max(m.similarity for m in group.members[1:]) >= 0.9
        assert flags.pop("page.png") and not any(flags.values())
        keep, _ = suggest_keeper(group.members)
        assert group.members[keep].entry.path.name != "page.png"
        assert group_dict(1, group)["files"][keep]["suggested"]
        assert [f["shows_another"] for f in group_dict(1, group)["files"]] == \
            [m.shows_another for m in group.members]
    listed = [ln for ln in summary(found).splitlines() if ln.strip().endswith(".png")
              or "inside" in ln]
    assert [("page.png" in ln, "shows another inside it" in ln) for ln in listed
            if "page.png" in ln] == [(True, True)]
    assert not any("shows another" in ln for ln in listed if "page.png" not in ln)
    import csv
    from duplicalt.review.report import write_csv
    write_csv(found, tmp_path / "out.csv")
    rows = list(csv.DictReader(open(tmp_path / "out.csv", encoding="utf-8")))
    assert {r["path"].rsplit("/", 1)[-1]: r["shows_another"] for r in rows} == \
        {"page.png": "yes", next(r["path"].rsplit("/", 1)[-1] for r in rows
                                 if "page.png" not in r["path"]): ""}


def test_a_page_kept_apart_from_its_best_picture_falls_back_alike_on_scan_and_regroup(tmp_path):
    from duplicalt.scan.pipeline import content_digest
    root = two_photo_page(tmp_path)
    (shown,) = [n for g in names(scan(root, RegionPixelEmbedder(), 0.9, verifier=OrbMatcher()))
                for n in g if n != "page.png"]
    apart = frozenset({frozenset((content_digest(root / "page.png"), content_digest(root / shown)))})
    found = scan(root, RegionPixelEmbedder(), 0.9, verifier=OrbMatcher(), not_duplicates=apart)
    other = "second.png" if shown == "first.png" else "first.png"
    assert names(found) == [sorted(["page.png", other])]  # the next picture on the page
    assert not found.pairs.covers(0.8)  # a new search, the kept-apart pair among its pairs
    assert names(regroup(found, 0.8)) == names(found)
