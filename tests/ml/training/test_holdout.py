"""The trainer's data loader skips the held-out distractors and bench copies."""
import io
import tarfile

from duplicalt.ml.training import data, holdout
from tests.sample_photos import make_photo


def _tar(path, n):
    with tarfile.open(path, "w") as tar:
        for k in range(n):
            buf = io.BytesIO()
            make_photo(k, (40, 30)).save(buf, "PNG")
            info = tarfile.TarInfo(f"p/{k}.png")
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))


def test_excluded_members_never_reach_training(tmp_path):
    _tar(tmp_path / "s.tar", 6)
    names = [n for n, _ in data.iter_blobs([tmp_path / "s.tar"], exclude=frozenset({"s.tar:p/2.png"}))]
    assert names == [f"s.tar:p/{k}.png" for k in (0, 1, 3, 4, 5)]


def test_the_default_exclusion_is_the_shipped_lists(tmp_path, monkeypatch):
    _tar(tmp_path / "s.tar", 3)
    monkeypatch.setattr(data, "excluded_keys", lambda: frozenset({"s.tar:p/0.png"}))
    assert [n for n, _ in data.iter_blobs([tmp_path / "s.tar"])] == ["s.tar:p/1.png", "s.tar:p/2.png"]
    assert len(holdout.excluded_keys()) >= 7000


def test_drawing_distractors_is_order_free_and_sized(tmp_path):
    keys = [f"a.tar:{k}.jpg" for k in range(100)]
    first = holdout.draw_distractors(keys, {"calibration": 10, "test": 20})
    assert first == holdout.draw_distractors(list(reversed(keys)), {"calibration": 10, "test": 20})
    assert len(first["calibration"]) == 10 and len(first["test"]) == 20
    assert set(first["calibration"]).isdisjoint(first["test"])
    path = tmp_path / "d.txt"
    holdout.write_distractors(first, path)
    assert holdout.distractors("test", path) == first["test"]
