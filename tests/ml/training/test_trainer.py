import argparse
import json
import tarfile

import numpy as np
import torch
from PIL import Image

from duplicalt.ml.training import trainer as train
from duplicalt.ml.training.data import load_images
from duplicalt.ml.training.schedule import lr_at


def blocky_photos(folder, n=24, size=40, seed=0):
    """Distinct little pictures: random coloured blocks, saved as PNG + one broken file."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((size, size + 8 * (i % 3)), Image.BILINEAR)
        img.save(folder / f"p{i:03d}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return folder


def make_args(tmp_path, **over):
    p = argparse.ArgumentParser()
    train.add_arguments(p)
    argv = ["--data", str(blocky_photos(tmp_path / "photos")), "--out", str(tmp_path / "run"),
            "--cache-dir", str(tmp_path / "cache"), "--width", "8", "--size", "32",
            "--cache-size", "40", "--batch-size", "8", "--steps", "4", "--val-size", "4",
            "--workers", "0", "--log-every", "1", "--val-every", "2", "--ckpt-every", "100"]
    for k, v in over.items():
        argv += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    return p.parse_args(argv)


def test_folder_and_tar_loading_skip_broken(tmp_path):
    folder = blocky_photos(tmp_path / "f", n=5)
    assert load_images([str(folder)], 16).shape == (5, 3, 16, 16)
    tar_path = tmp_path / "s.tar"
    with tarfile.open(tar_path, "w") as tar:
        for f in sorted(folder.iterdir()):
            tar.add(f, arcname=f"x/{f.name}")
    assert load_images([str(tar_path)], 16, cache_dir=tmp_path / "c").shape == (5, 3, 16, 16)
    assert load_images([str(tar_path)], 16, cache_dir=tmp_path / "c").shape == (5, 3, 16, 16)


def test_training_steps_lower_the_loss(tmp_path):
    args = make_args(tmp_path)
    torch.set_num_threads(2)
    images = load_images(args.data, args.cache_size)
    tr = train.Trainer(args, images, log=lambda r: None)
    tr.total = 100  # keep the learning rate up
    v1, v2 = tr.views(0)
    first = tr.train_step(v1, v2)
    for _ in range(6):
        last = tr.train_step(v1, v2)
    assert last < first - 0.05


def test_resume_continues_identically(tmp_path):
    straight = make_args(tmp_path / "a")
    assert train.main(straight) == 0
    half = make_args(tmp_path / "b", stop_at_step=2)
    assert train.main(half) == 0
    assert torch.load(half.out / "checkpoint.pt", weights_only=False)["step"] == 2
    assert train.main(make_args(tmp_path / "b", resume=True)) == 0
    a = torch.load(straight.out / "checkpoint.pt", weights_only=False)
    b = torch.load(half.out / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == 4
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    losses = lambda p: [r["loss"] for r in map(json.loads, open(p / "log.jsonl")) if "loss" in r]
    assert losses(straight.out) == losses(half.out)


def test_export_writes_model(tmp_path):
    args = make_args(tmp_path, steps=1, export="m", models_dir=tmp_path / "models")
    assert train.main(args) == 0
    meta = json.loads((tmp_path / "models" / "m.json").read_text())
    assert meta["input_size"] == 32 and meta["steps"] == 1 and meta["width"] == 8
    # the shipped descriptor, and no path of the machine it was trained on
    assert meta["centre_pool"] == 0.7 and meta["tta"] == "flip" and meta["trim_borders"]
    assert meta["training_data"] == ["photos"] and str(tmp_path) not in json.dumps(meta)


def test_lr_schedule_warms_up_then_decays():
    lrs = [lr_at(s, 100, 1.0, 0.1) for s in range(100)]
    assert lrs[0] < lrs[9] <= 1.0 and lrs[50] < lrs[10] and lrs[-1] < 0.05


def test_schedule_fits_a_deadline(tmp_path):
    import time
    args = make_args(tmp_path, steps=1000)
    tr = train.Trainer(args, load_images(args.data, args.cache_size), log=lambda r: None)
    tr.step = 10
    rec = tr.fit_to_deadline(time.time() + 150 + 100, sec_per_step=1.0)
    assert rec and 90 <= tr.total <= 100 and tr.fitted
    assert tr.fit_to_deadline(None, 1.0) is None
    tr.fit_to_deadline(time.time() + 1e6, sec_per_step=1.0)
    assert tr.total == 1000  # never beyond --steps


def test_resume_refuses_a_checkpoint_that_would_run_code(tmp_path, capsys):
    """--resume loads tensors and plain values only: a pickle carrying an object
    is refused with a clear error, and never executed."""
    import pickle

    args = make_args(tmp_path / "c", resume=True)
    args.out.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    (args.out / "checkpoint.pt").write_bytes(pickle.dumps(Evil(marker), protocol=2))
    assert train.main(args) == 1
    assert "cannot resume" in capsys.readouterr().err and not marker.exists()


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib
        return (pathlib.Path.touch, (self.marker,))
