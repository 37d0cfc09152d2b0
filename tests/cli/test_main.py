import json
import shutil

import pytest

from duplicalt.cli.main import main
from tests.sample_photos import make_photo, save


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / "photos"
    a = make_photo(1, (300, 200))
    save(a, root / "a.jpg", quality=95)
    save(a.resize((150, 100)), root / "sub" / "a_small.jpg")
    shutil.copy(root / "a.jpg", root / "a_copy.jpg")
    save(make_photo(2, (300, 200)), root / "b.png")
    (root / "bad.jpg").write_text("not a photo")
    (root / "alias.jpg").symlink_to(root / "a.jpg")
    return root


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_scan_writes_json_and_csv(folder, tiny_model, tmp_path, capsys):
    out_json, out_csv = tmp_path / "out.json", tmp_path / "out.csv"
    code, out, err = run(capsys, "scan", folder, "--model", tiny_model, "--json", out_json,
                         "--csv", out_csv, "--device", "cpu", "--threshold", "0.99")
    assert code == 0, err
    data = json.loads(out_json.read_text())
    assert data["root"] == str(folder.resolve()) and data["threshold"] == 0.99
    rels = [sorted(f["rel"] for f in g["files"]) for g in data["groups"]]
    assert sum("a_copy.jpg" in r for r in rels) == 1  # every file in one group only
    group = next(g for g in data["groups"] if any(f["rel"] == "a_copy.jpg" for f in g["files"]))
    assert "a.jpg" in [f["rel"] for f in group["files"]]
    copy = next(f for f in group["files"] if f["rel"] == "a_copy.jpg")
    assert copy["copy_of"] == str(folder.resolve() / "a.jpg") or group["tier"] == "identical"
    for g in data["groups"]:
        assert sum(f["suggested"] for f in g["files"]) == 1
        assert all(f["path"].startswith(str(folder.resolve())) for f in g["files"])
    assert [(u["path"].endswith("bad.jpg"), "not a photo" in u["reason"]) for u in data["unreadable"]] == [(True, True)]
    assert data["links"][0]["kind"] == "symlink"
    rows = out_csv.read_text().splitlines()
    assert rows[0].startswith("group,tier,path") and len(rows) > 2
    assert "4 photos" in out and "1 unreadable" in out and "Wrote" in out


def test_second_scan_says_cache_answered(folder, tiny_model, tmp_path, capsys):
    cache = tmp_path / "c.sqlite"
    args = ("scan", folder, "--model", tiny_model, "--cache", cache, "--quiet")
    assert run(capsys, *args)[0] == 0
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0 embedded now" in out and "nothing re-embedded" in out


def test_clear_errors(tmp_path, tiny_model, capsys):
    code, _, err = run(capsys, "scan", tmp_path / "missing", "--model", tiny_model)
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "scan", tmp_path, "--model", tmp_path / "nope.json")
    assert code == 2 and "No model installed" in err
    with pytest.raises(SystemExit):
        main(["scan", str(tmp_path), "--threshold", "1.5"])


def test_damaged_model_refused(tmp_path, tiny_model, capsys):
    model_dir = tmp_path / "m"
    shutil.copytree(tiny_model.parent, model_dir)
    weights = next(model_dir.glob("*.safetensors"))
    blob = bytearray(weights.read_bytes())
    blob[-10] ^= 0xFF
    weights.write_bytes(bytes(blob))
    code, _, err = run(capsys, "scan", tmp_path, "--model", model_dir / tiny_model.name)
    assert code == 2 and "sha256" in err


def test_scan_several_folders_with_a_reference(tmp_path, tiny_model, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    photo = make_photo(1, (300, 200))
    a, b, ref = tmp_path / "A", tmp_path / "B", tmp_path / "R"
    save(photo.resize((150, 100)), a / "small.jpg")
    save(make_photo(2, (300, 200)), b / "other.png")
    save(photo, ref / "orig.jpg", quality=95)
    shutil.copy(a / "small.jpg", b / "small_copy.jpg")
    out_json, out_csv = tmp_path / "out.json", tmp_path / "out.csv"
    code, out, err = run(capsys, "scan", a, b, "--reference", ref, "--model", tiny_model,
                         "--device", "cpu", "--threshold", "0.95", "--json", out_json,
                         "--csv", out_csv, "--quiet")
    assert code == 0, err
    data = json.loads(out_json.read_text())
    assert data["root"] == str(a.resolve())  # the first folder, as before
    assert data["roots"] == [str(p.resolve()) for p in (a, b, ref)]
    assert data["reference"] == [str(ref.resolve())]
    files = {f["rel"]: f for g in data["groups"] for f in g["files"]}
    assert files["orig.jpg"]["reference"] and files["orig.jpg"]["root"] == str(ref.resolve())
    assert not files["small.jpg"]["reference"]
    group = next(g for g in data["groups"] if any(f["rel"] == "orig.jpg" for f in g["files"]))
    keeper = next(f for f in group["files"] if f["suggested"])
    assert keeper["rel"] == "orig.jpg" and keeper["reason"] == "in a reference folder"
    assert "reference" in out_csv.read_text().splitlines()[0]
    assert "and 2 more folders: 4 photos" in out


def test_scan_refuses_a_missing_reference_folder(tmp_path, tiny_model, capsys):
    (tmp_path / "A").mkdir()
    code, _, err = run(capsys, "scan", tmp_path / "A", "--reference", tmp_path / "nope",
                       "--model", tiny_model)
    assert code == 2 and "does not exist" in err


def test_not_duplicates_are_listed_and_forgotten(tmp_path, capsys):
    from duplicalt.review.not_duplicates import NotDuplicates

    path = tmp_path / "nd.json"
    NotDuplicates(path).add("d" * 40, "e" * 40, ("a.jpg", "b.jpg"))
    code, out, _ = run(capsys, "not-duplicates", "--file", path)
    assert code == 0 and "1. a.jpg != b.jpg" in out
    code, _, err = run(capsys, "not-duplicates", "--file", path, "--forget", "2")
    assert code == 2 and "no pair 2" in err
    code, out, _ = run(capsys, "not-duplicates", "--file", path, "--forget", "1")
    assert code == 0 and "Put back: a.jpg and b.jpg" in out and not NotDuplicates(path).pairs()
    assert "No pairs" in run(capsys, "not-duplicates", "--file", path)[1]


def test_a_second_report_reads_the_keeper_evidence_from_the_cache(folder, tiny_model, tmp_path,
                                                                    capsys, monkeypatch):
    from duplicalt.review import evidence

    real, reads = evidence.read_evidence, []
    monkeypatch.setattr(evidence, "read_evidence", lambda p: reads.append(p) or real(p))
    args = ("scan", folder, "--model", tiny_model, "--cache", tmp_path / "c.sqlite", "--quiet",
            "--device", "cpu", "--threshold", "0.9")
    picks = []
    for k in range(2):
        monkeypatch.setattr(evidence, "_memo", type(evidence._memo)())  # a new process
        reads.clear()
        code, _, err = run(capsys, *args, "--json", tmp_path / f"{k}.json")
        assert code == 0, err
        data = json.loads((tmp_path / f"{k}.json").read_text())
        picks.append([(f["rel"], f["suggested"], f.get("reason")) for g in data["groups"]
                      for f in g["files"]])
        if k == 0:
            assert len(reads) >= 2  # the grouped photos were read for the keeper
    assert reads == []  # the second time, all of it came from the cache
    assert picks[0] == picks[1] and any(s for _, s, _ in picks[0])
