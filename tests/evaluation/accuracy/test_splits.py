"""The calibration and test splits never share an original, and do not drift."""
from duplicalt.evaluation.accuracy.splits import CALIBRATION, TEST, split_of, split_originals
from tests.sample_photos import make_photo, save


def test_splits_are_disjoint_stable_and_by_content(tmp_path):
    paths = []
    for i in range(40):
        p = tmp_path / f"p{i:02d}.png"
        save(make_photo(i, (48, 40)), p)
        paths.append(p)
    first = split_originals(paths)
    assert set(first[CALIBRATION]).isdisjoint(first[TEST])
    assert sorted(first[CALIBRATION] + first[TEST]) == sorted(paths)
    assert 8 <= len(first[TEST]) <= 32  # about half each
    assert split_originals(reversed(paths)) == first
    renamed = tmp_path / "renamed.png"
    renamed.write_bytes(first[TEST][0].read_bytes())
    assert split_of(renamed) == TEST
