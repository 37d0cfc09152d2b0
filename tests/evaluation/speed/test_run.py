"""`duplicalt bench`: its data is deterministic and its measurements run."""
import json

import numpy as np
import pytest

from duplicalt.evaluation.speed import run as bench, child as bench_child
from duplicalt.evaluation.speed.data import camera_folder, planted_vectors, small_folder
from tests.sample_photos import make_photo, save


@pytest.fixture()
def originals(tmp_path):
    for k in range(4):
        save(make_photo(k, (120, 90)), tmp_path / "orig" / f"o{k}.jpg", quality=95)
    return tmp_path / "orig"


def test_planted_vectors():
    v, truth = planted_vectors(2000, d=64, fraction=0.02, seed=3)
    assert v.dtype == np.float16 and v.shape == (2000, 64) and len(truth) == 40
    x = v.astype(np.float32)
    sims = [float(x[a] @ x[b]) for a, b in truth]
    assert 0.89 <= min(sims) and max(sims) <= 1.0
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=2e-3)
    again, _ = planted_vectors(2000, d=64, fraction=0.02, seed=3)
    assert np.array_equal(v, again)


def test_camera_folder_is_deterministic_and_reused(originals, tmp_path):
    a = camera_folder(originals, tmp_path / "a", 4, size=(160, 120))
    b = camera_folder(originals, tmp_path / "b", 4, size=(160, 120))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    stamp = a[0].stat().st_mtime_ns
    assert camera_folder(originals, tmp_path / "a", 4, size=(160, 120)) == a
    assert a[0].stat().st_mtime_ns == stamp  # reused, not rewritten
    from PIL import Image
    assert {Image.open(p).size for p in a} <= {(160, 120), (120, 160)}


def test_small_folder(originals, tmp_path):
    paths = small_folder(originals, tmp_path / "s", 5, side=32)
    assert len({p.read_bytes() for p in paths}) == 5


def test_scan_child_cold_warm_and_changed(originals, tmp_path, tiny_model):
    folder = tmp_path / "cam"
    camera_folder(originals, folder, 6, size=(160, 120))
    spec = {"model": str(tiny_model), "device": "cpu", "folder": str(folder),
            "cache": str(tmp_path / "c.sqlite"), "threshold": 0.99}
    cold = bench_child.scan_child(dict(spec, fresh=True))
    warm = bench_child.scan_child(spec)
    before = {p.name: p.read_bytes() for p in folder.glob("*.jpg")}
    changed = bench_child.scan_child(dict(spec, change=0.2))
    assert (cold["embedded"], warm["embedded"], changed["embedded"]) == (6, 0, 1)
    assert cold["signature"] == warm["signature"] and cold["peak_rss_mb"] > 0
    assert {p.name: p.read_bytes() for p in folder.glob("*.jpg")} == before  # restored
    assert not list(folder.glob(".*.bak"))


def test_group_child_reports_recall():
    r = bench_child.group_child({"n": 3000})
    assert r["path"] == "exact" and r["recall"] == 1.0 and r["pairs"] >= 30
    json.dumps(r)


def test_ratio_lines():
    res = {"scan cold": {"files": 100, "seconds": 2.0}, "scan warm": {"files": 100, "seconds": 0.1},
           "cold ours": {"files": 100, "seconds": 2.0},
           "cold imagehash pHash, 1 thread(s)": {"files": 100, "seconds": 10.0}}
    lines = bench.ratios(res)
    assert "cold scan / best imagehash pHash (same rounds): 5.00x" in lines
    assert any(line.startswith("scan warm vs cold: 20.0x") for line in lines)


def test_bench_is_a_cli_command(capsys):
    from duplicalt.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0 and "--scale" in capsys.readouterr().out


def test_bench_without_the_benchmark_photos_says_where_to_point_it(tmp_path, capsys):
    from duplicalt.cli.main import main

    assert main(["bench", "--originals", str(tmp_path / "nowhere"), "--work",
                 str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert "benchmark photos not found" in err and "--originals" in err and "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_data_root_follows_the_environment(tmp_path, monkeypatch):
    from duplicalt.ml.training.shared_data import data_root

    monkeypatch.setenv("DUPLICALT_DATA", str(tmp_path))
    assert data_root() == tmp_path
    monkeypatch.delenv("DUPLICALT_DATA")
    assert data_root().parts[-2:] == ("shared", "data")


def test_czkawka_peer_groups_a_copy_and_its_ratio_is_reported(tmp_path):
    pytest.importorskip("czkawka")
    from PIL import Image
    base = make_photo(1, (400, 300))
    save(base, tmp_path / "c" / "a.jpg", quality=95)
    save(base.resize((200, 150), Image.BICUBIC), tmp_path / "c" / "b.jpg", quality=85)
    save(make_photo(2, (400, 300)), tmp_path / "c" / "z.jpg")
    r = bench.child("czkawka", folder=tmp_path / "c")
    assert r["files"] == 3 and r["groups"] == 1 and r["process_s"] >= r["seconds"] > 0
    res = {"cold ours+verify": {"files": 3, "seconds": 1.0, "process_s": 4.0},
           "cold czkawka": {"files": 3, "seconds": 8.0, "process_s": 10.0}}
    assert any("= 2.50x" in line for line in bench.ratios(res))
