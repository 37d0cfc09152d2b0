import io
import json
import tarfile

import numpy as np
from PIL import Image

from duplicalt.evaluation.accuracy.edits import FAMILIES
from duplicalt.evaluation.scale import library, lookalikes, run
from duplicalt.evaluation.scale.million import replicate
from duplicalt.evaluation.scale.sheet import contact_sheet
from tests.sample_photos import make_photo, save


def shard(path, names):
    with tarfile.open(path, "w") as tar:
        for k, name in enumerate(names):
            buf = io.BytesIO()
            make_photo(k, (80, 60)).save(buf, "JPEG")
            info = tarfile.TarInfo(name)
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))
    return path


def test_library_extracts_shards_once_and_plants_test_copies(tmp_path):
    shards = [shard(tmp_path / "a.tar", ["cls/x1.jpg", "cls/x2.jpg"]),
              shard(tmp_path / "b.tar", ["y.jpg"])]
    originals = tmp_path / "orig"
    for k in range(8):
        save(make_photo(10 + k, (120, 90)), originals / f"photo_{k}.jpg")
    root, truth = library.build(shards, originals, tmp_path / "work", per_family=2)
    assert sorted(p.relative_to(root / "train").as_posix()
                  for p in (root / "train").rglob("*.jpg")) == ["cls/x1.jpg", "cls/x2.jpg", "y.jpg"]
    planted = {p.name for p in (root / "planted").iterdir()}
    assert planted == set(truth.files)
    edited = [f for _, f in truth.files.values() if f]
    assert sorted(set(edited)) == sorted(FAMILIES)
    again_root, again = library.build(shards, originals, tmp_path / "work", per_family=2)
    assert again.files == truth.files  # reused, not rebuilt
    sub = run.subset(root, tmp_path / "sub" / "library", len(planted) + 1, seed=0)
    assert len([p for p in (sub / "train").rglob("*.jpg")]) == 1
    assert {p.name for p in (sub / "planted").iterdir()} == planted


def test_report_scores_planted_copies_and_training_pairs(tmp_path):
    from duplicalt.evaluation.accuracy.dataset import Truth
    truth = Truth({"o.jpg": ("o", None), "o__crop10.jpg": ("o", "crop10"),
                   "p.jpg": ("p", None), "p__hflip.jpg": ("p", "hflip")})
    r = {"photos": 10, "files": 10, "threshold": 0.55, "seconds": 10.0, "startup": 1.0,
         "stages": {"embed": 8.0}, "pair_search_s": 0.5, "verify_s": 1.0,
         "candidate_pairs": 20, "selected_pairs": 5, "verified_pairs": 5, "groups": 3,
         "slider_s": {}, "matcher_decodes": 0, "peak_rss_mb": 100,
         "grouped_pairs": [["planted/o.jpg", "planted/o__crop10.jpg"],
                           ["planted/p.jpg", "train/a/1.jpg"],
                           ["train/a/1.jpg", "train/a/2.jpg"]]}
    labels = [("a/1.jpg", "a/2.jpg", "different", "report"), ("a/3.jpg", "a/4.jpg", "same", "tune")]
    lines, out = run.report(r, truth, labels, None)
    assert out["planted"]["per_family"] == {"crop10": 1.0, "hflip": 0.0}
    assert out["planted"]["precision"] == 0.5  # the planted photo grouped with a training one
    assert out["train_pairs"] == 1
    assert out["lookalikes"]["report"]["different"] == {"labelled": 1, "grouped": 1,
                                                        "fraction": 1.0}
    assert out["lookalikes"]["all"]["same"] == {"labelled": 1, "grouped": 0, "fraction": 0.0}
    assert any("10.0 % of the wall time" in line for line in lines)


def test_labels_in_the_repository_name_training_photos_only():
    labels = lookalikes.load()
    assert len(labels) >= 150
    assert {r[2] for r in labels} == {lookalikes.SAME, lookalikes.DIFFERENT}
    assert sum(r[3] == lookalikes.REPORT for r in labels) >= 150
    assert all(not a.startswith(("train/", "/")) and a != b for a, b, _, _ in labels)
    data = json.loads(lookalikes.LABELS.read_text())
    assert "how" in data


def test_contact_sheet_draws_every_pair(tmp_path):
    a = save(make_photo(1, (200, 150)), tmp_path / "a.jpg")
    save(make_photo(2, (150, 200)), tmp_path / "b.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"not a photo")
    out = contact_sheet(tmp_path, [("a.jpg", "b.jpg"), ("a.jpg", "bad.jpg")] * 3,
                        tmp_path / "s" / "sheet.png")
    img = Image.open(out)
    assert img.size[1] >= 2 * 150 and a.exists()


def test_replicas_keep_similarities_within_and_not_across():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((50, 64)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    out = replicate(base.astype(np.float16), 120).astype(np.float32)
    assert out.shape == (120, 64)
    s = base @ base.T
    assert np.allclose(out[50:100] @ out[50:100].T, s, atol=5e-3)
    assert np.allclose(out[100:] @ out[100:].T, s[:20, :20], atol=5e-3)
    assert abs(float(np.mean(out[:50] @ out[50:100].T))) < 0.05


def test_the_seed_cache_may_not_be_one_this_run_empties(tmp_path, capsys):
    import argparse

    p = argparse.ArgumentParser()
    run.add_arguments(p)
    own, alone, elsewhere = (tmp_path / n for n in ("scale-cache-all.sqlite", "alone.sqlite",
                                                    "seed.sqlite"))
    for f in (own, alone, elsewhere):
        f.write_bytes(b"")
    args = lambda *extra: p.parse_args(["--work", str(tmp_path), *extra])  # noqa: E731
    assert "empties" in run.seed_problem(args("--embeddings-from", str(own)))
    assert "empties" in run.seed_problem(args("--embeddings-from", str(alone)))
    assert "no such" in run.seed_problem(args("--embeddings-from", str(tmp_path / "none.sqlite")))
    assert run.seed_problem(args("--embeddings-from", str(elsewhere))) == ""
    assert run.seed_problem(args()) == ""
    assert run.main(args("--embeddings-from", str(own))) == 2
    assert "empties" in capsys.readouterr().err
    assert own.exists()  # nothing emptied


def test_a_seed_cache_from_another_work_folder_is_remapped_onto_this_library(tmp_path):
    """A calibration run seeds its vectors from the test split's scale cache:
    the cache's own library (beside it) maps onto the library scanned now."""
    test_work, cal_work = tmp_path / "test", tmp_path / "cal"
    for work in (test_work, cal_work):
        (work / library.LIBRARY).mkdir(parents=True)
    seed = test_work / "scale-cache-all.sqlite"
    full = cal_work / library.LIBRARY
    assert run.moved_roots(seed, full, full) == [str(test_work / "library"), str(full)]
    own = cal_work / "seed.sqlite"
    assert run.moved_roots(own, full, full) is None
    subset = cal_work / "limit-10" / "library"
    assert run.moved_roots(own, full, subset) == [str(full), str(subset)]
    assert run.moved_roots(None, full, subset) is None
