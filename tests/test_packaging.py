"""The package as a user installs it: a built wheel, in a fresh venv outside the
checkout, scans with the model it ships (package data), not the checkout's."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from duplicalt.ml.model.loading import find_model
from duplicalt.ml.training.shared_data import data_root
from tests.sample_photos import make_photo, save

REPO = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


def photos_to_scan(tmp_path):
    """The imagededup fixtures when the shared data is here, else a tiny made-up set;
    with the groups that must come out, as lists of relative paths."""
    fixtures = data_root() / "bench" / "imagededup-fixtures"
    if (fixtures / "groups.json").is_file():
        return fixtures, json.loads((fixtures / "groups.json").read_text())["groups"]
    folder = tmp_path / "photos"
    photo = make_photo(7, (640, 480))
    save(photo, folder / "a.jpg", quality=95)
    save(photo.resize((320, 240)), folder / "sub" / "a_small.png")
    for seed in (1, 2, 3):
        save(make_photo(seed, (640, 480)), folder / f"other{seed}.jpg")
    return folder, [["a.jpg", "sub/a_small.png"]]


def fresh_venv(where: Path) -> Path:
    """A new venv whose own site-packages is empty but for what we install; the
    dependencies (torch, Qt, ...) come from this test's environment through a .pth
    path entry, so nothing is downloaded (the checkout's editable install is not
    activated: .pth files inside that entry are not run)."""
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site = Path(purelib.stdout.strip())
    (site / "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.slow
def test_built_wheel_scans_with_the_shipped_model_outside_the_checkout(tmp_path):
    # Built from a copy of the sources: setuptools' in-tree build/lib could keep stale files.
    source = tmp_path / "source"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        source.mkdir(exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "duplicalt", source / "duplicalt",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", wheels, source])
    (wheel,) = wheels.glob("duplicalt-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "duplicalt/ml/model/weights/duplicalt-resnet18.safetensors" in names
    assert "duplicalt/ml/model/weights/duplicalt-resnet18.json" in names
    assert not [n for n in names if n.startswith("tests/") or n.endswith(".jsonl")]
    assert wheel.stat().st_size < 40e6  # lean: fp16 weights, no data

    python = fresh_venv(tmp_path / "venv")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["DUPLICALT_CACHE_DIR"] = str(tmp_path / "cache")
    where = run([python, "-c", "import duplicalt.ml.model.loading as m; print(m.find_model())"],
                cwd=elsewhere, env=env).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where  # the wheel's copy

    folder, expected = photos_to_scan(tmp_path)
    assert run([tmp_path / "venv" / "bin" / "duplicalt", "--version"], cwd=elsewhere,
               env=env).stdout.startswith("duplicalt ")
    run([tmp_path / "venv" / "bin" / "duplicalt", "scan", folder, "--json", "out.json", "-q"],
        cwd=elsewhere, env=env)
    report = json.loads((elsewhere / "out.json").read_text())
    shipped = json.loads(find_model().read_text())["sha256"]
    assert report["model"].startswith(shipped)
    group_of = {f["rel"]: g["id"] for g in report["groups"] for f in g["files"]}
    for members in expected:
        assert len({group_of.get(rel) for rel in members}) == 1 and members[0] in group_of, members
