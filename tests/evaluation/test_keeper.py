"""`duplicalt evaluate --keeper` on a few generated originals: pairs under neutral
names, in both orders, scored per family; unknown families are refused."""
from __future__ import annotations

import numpy as np
from PIL import Image

from duplicalt.cli.main import main
from duplicalt.evaluation import keeper
from tests.sample_photos import make_photo


def originals(folder, n=3):
    folder.mkdir()
    for k in range(n):
        img = make_photo(20 + k, (640, 480))
        noise = np.random.default_rng(k).normal(0, 10, (480, 640, 3))
        Image.fromarray((np.asarray(img, np.float32) + noise).clip(0, 255).astype(np.uint8)).save(
            folder / f"o{k}.jpg", quality=90)
    return sorted(folder.iterdir())


def test_scores_each_family_and_names_tell_nothing(tmp_path):
    photos = originals(tmp_path / "orig")
    scores = keeper.evaluate(photos, ["border", "grayscale", "png", "hflip"], tmp_path / "w", 1)
    assert {f: (ok, n) for f, (ok, n, _) in scores.items() if f != "hflip"} == {
        "border": (3, 3), "grayscale": (3, 3), "png": (3, 3)}
    names = {p.name for p in (tmp_path / "w" / "border").iterdir()}
    assert len(names) == 6 and len({len(n.split(".")[0]) for n in names}) == 1
    text = keeper.table(scores)
    assert "(no file evidence; not counted)" in text.splitlines()[-2]
    assert text.splitlines()[-1].split()[2] == "100.0%" and "met" in text


def test_wired_into_duplicalt_evaluate(tmp_path, capsys):
    originals(tmp_path / "orig", 2)
    code = main(["evaluate", "--keeper", "--originals", str(tmp_path / "orig"), "--split",
                 "test", "--family", "grayscale", "--work", str(tmp_path / "w")])
    out = capsys.readouterr().out
    assert code == 0 and "grayscale" in out and "plainly better" in out
    assert main(["evaluate", "--keeper", "--originals", str(tmp_path / "orig"),
                 "--family", "nope"]) == 2
