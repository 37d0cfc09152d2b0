"""The two benchmark folders: no shared original, no shared distractor, the
test-only families in the test folder only."""
import io
import tarfile

from duplicalt.evaluation.accuracy import splitbench
from duplicalt.evaluation.accuracy.edits import FAMILIES
from duplicalt.evaluation.accuracy.framed import FRAMED
from duplicalt.evaluation.accuracy.heldout import HELD_OUT
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST
from duplicalt.ml.training import holdout
from tests.sample_photos import make_photo, save


def _shard(path, n):
    with tarfile.open(path, "w") as tar:
        for k in range(n):
            buf = io.BytesIO()
            make_photo(100 + k, (80, 60)).save(buf, "JPEG")
            info = tarfile.TarInfo(f"set/img_{k:03d}.jpg")
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))
    return [f"{path.name}:set/img_{k:03d}.jpg" for k in range(n)]


def test_splits_share_no_original_and_no_distractor(tmp_path, monkeypatch):
    train = tmp_path / "train"
    train.mkdir()
    keys = _shard(train / "fake-000.tar", 40)
    lists = holdout.draw_distractors(keys, {CALIBRATION: 10, TEST: 12})
    monkeypatch.setattr(holdout, "distractors",
                        lambda split=None: lists[split] if split else lists[CALIBRATION] + lists[TEST])
    monkeypatch.setattr(holdout, "bench_copies", lambda: [lists[TEST][0]])
    for k in range(12):
        save(make_photo(k, (160, 120)), tmp_path / "orig" / f"photo_{k:02d}.jpg")
    built = {s: splitbench.build_split(s, tmp_path / "orig", tmp_path / "work", 1, 7, train)
             for s in (CALIBRATION, TEST)}
    originals = {s: {o for o, f in t.files.values() if not o.startswith("distractor:")}
                 for s, t in built.items()}
    assert originals[CALIBRATION] and originals[TEST]
    assert originals[CALIBRATION].isdisjoint(originals[TEST])
    names = {s: set(t.files) for s, t in built.items()}
    assert names[CALIBRATION].isdisjoint(names[TEST])
    families = {s: {f for _, f in t.files.values() if f} for s, t in built.items()}
    assert families[CALIBRATION] == set(FAMILIES) | set(FRAMED)
    assert families[TEST] == set(FAMILIES) | set(HELD_OUT)
    distract = {s: {o for o, _ in t.files.values() if o.startswith("distractor:")}
                for s, t in built.items()}
    assert len(distract[CALIBRATION]) == 10 and len(distract[TEST]) == 11  # one was a bench copy
    assert f"distractor:{lists[TEST][0]}" not in distract[TEST]
    for s, t in built.items():
        assert all((tmp_path / "work" / s / "photos" / n).is_file() for n in t.files)
        assert all(a in t.files and b in t.files for a, b in t.pairs())


def test_the_shipped_distractor_lists_are_disjoint_and_held_out():
    cal, test = holdout.distractors(CALIBRATION), holdout.distractors(TEST)
    assert len(cal) == 2000 and len(test) == 5000
    assert set(cal).isdisjoint(test)
    assert set(cal) | set(test) <= holdout.excluded_keys()
    assert set(holdout.bench_copies()) <= holdout.excluded_keys()
