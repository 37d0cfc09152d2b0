"""The JSON/CSV/summary report: one folder as before, several with their roots
and reference folders, each file knowing its own root."""
from __future__ import annotations

import csv
import json

from duplicalt.review import report
from duplicalt.scan.pipeline import scan
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


def test_json_csv_and_summary_for_several_folders(tmp_path):
    photo = make_photo(4, (320, 240))
    a, ref = tmp_path / "A", tmp_path / "Ref"
    save(photo.resize((160, 120)), a / "copy.jpg", quality=80)
    save(photo, ref / "orig.jpg", quality=95)
    save(make_photo(5, (320, 240)), a / "other.jpg")
    result = scan([a], PixelEmbedder(), 0.97, reference=[ref])
    data = report.to_dict(result)
    assert data["root"] == str(a.resolve())
    assert data["roots"] == [str(a.resolve()), str(ref.resolve())]
    assert data["reference"] == [str(ref.resolve())]
    (group,) = data["groups"]
    by_name = {f["rel"]: f for f in group["files"]}
    assert by_name["orig.jpg"]["reference"] and by_name["orig.jpg"]["suggested"]
    assert by_name["copy.jpg"]["root"] == str(a.resolve()) and not by_name["copy.jpg"]["reference"]
    report.write_json(result, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["reference"] == data["reference"]
    report.write_csv(result, tmp_path / "r.csv")
    rows = list(csv.DictReader(open(tmp_path / "r.csv", encoding="utf-8")))
    assert {r["path"].rsplit("/", 1)[-1]: r["reference"] for r in rows} == {
        "orig.jpg": "yes", "copy.jpg": ""}
    text = report.summary(result)
    assert "and 1 more folder:" in text and "keep" in text


def test_one_folder_keeps_the_old_shape(tmp_path):
    save(make_photo(4, (320, 240)), tmp_path / "p" / "a.jpg")
    save(make_photo(4, (160, 120)), tmp_path / "p" / "b.jpg")
    data = report.to_dict(scan(tmp_path / "p", PixelEmbedder(), 0.97))
    assert data["roots"] == [data["root"]] and data["reference"] == []
    assert all(f["root"] is None and f["reference"] is False
               for g in data["groups"] for f in g["files"])
