"""The ONNX Runtime engine: the same vectors as torch, chosen on a CPU, no torch imported."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from duplicalt.ml.model import embed
from duplicalt.ml.model.embed import choose_engine, load
from duplicalt.ml.model.loading import save_model
from duplicalt.ml.model.model_file import ModelError
from tests.ml.model.test_encoder import _trained_looking
from tests.sample_photos import make_photo, save


@pytest.fixture(scope="module")
def trained_looking(tmp_path_factory):
    """A narrow encoder whose batch norms have non-trivial statistics (folding matters)."""
    torch.manual_seed(3)
    return save_model(_trained_looking(8), tmp_path_factory.mktemp("m"), "tl",
                      {"input_size": 48, "grayscale": True, "trim_borders": True, "tta": "flip"})


def _photos(tmp_path, n=5):
    return [save(make_photo(k, (90 + 7 * k, 70)), tmp_path / f"{k}.jpg") for k in range(n)]


def _vectors(emb, paths):
    return np.stack([o.vector for batch in emb.embed(paths) for o in batch])


@pytest.mark.parametrize("options", [{}, {"tta": "d8"}, {"tta": "none", "gem_p": "3"},
                                     {"centre_pool": "0.7"}])
def test_onnx_and_torch_give_the_same_vectors_and_cache_key(trained_looking, tmp_path, options):
    paths = _photos(tmp_path)
    onnx = load(trained_looking, device="cpu", batch_size=2, options=options, engine="onnx")
    torch_ = load(trained_looking, device="cpu", batch_size=3, options=options, engine="torch")
    assert (onnx.engine, torch_.engine) == ("onnxruntime", "torch")
    assert onnx.model_id == torch_.model_id and onnx.dim == torch_.dim == 64
    a, b = _vectors(onnx, paths), _vectors(torch_, paths)
    assert np.abs(a - b).max() < 1e-5
    assert np.abs((a[:, None] * a[None]).sum(2) - np.eye(len(a))).max() > 1e-3  # not all one


def test_the_engine_is_onnx_on_a_cpu_and_torch_for_gpus_and_bf16(monkeypatch):
    monkeypatch.setattr(embed, "accelerator_likely", lambda: False)
    assert choose_engine("auto", "auto", "fp32") == "onnx"
    assert choose_engine("auto", "cpu", "fp32") == "onnx"
    assert choose_engine("auto", "cpu", "bf16") == "torch"
    assert choose_engine("auto", "cuda", "fp32") == "torch"
    assert choose_engine("torch", "cpu", "fp32") == "torch"
    monkeypatch.setattr(embed, "accelerator_likely", lambda: True)
    assert choose_engine("auto", "auto", "fp32") == "torch"  # torch looks for the GPU
    with pytest.raises(ValueError, match="unknown engine"):
        choose_engine("tensorrt", "cpu", "fp32")


def test_the_onnx_engine_refuses_a_gpu_and_bf16(tiny_model):
    with pytest.raises(ValueError, match="runs on the CPU"):
        load(tiny_model, device="cuda", engine="onnx")
    with pytest.raises(ValueError, match="fp32"):
        load(tiny_model, device="cpu", precision="bf16", engine="onnx")


def test_weights_that_do_not_fit_are_a_model_error(tiny_model, tmp_path):
    meta = json.loads(tiny_model.read_text())
    (tmp_path / meta["weights"]).write_bytes((tiny_model.parent / meta["weights"]).read_bytes())
    sidecar = tmp_path / "wide.json"
    sidecar.write_text(json.dumps({**meta, "width": 16}))  # the weights have 8 channels
    with pytest.raises(ModelError, match="do not fit"):
        load(sidecar, device="cpu", engine="onnx")


def test_a_cpu_scan_never_imports_torch(tiny_model, tmp_path):
    """What makes a small scan start ~2 s sooner: the whole embedding without torch."""
    paths = _photos(tmp_path, 3)
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from duplicalt.ml.model.embed import load
        from duplicalt.ml.matcher import OrbMatcher
        emb = load({str(tiny_model)!r}, device="cpu", batch_size=2)
        outs = [o for b in emb.embed([Path(p) for p in {[str(p) for p in paths]!r}]) for o in b]
        assert emb.engine == "onnxruntime" and all(o.vector is not None for o in outs)
        print("torch" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_an_onnxruntime_that_does_not_load_falls_back_to_torch(tiny_model, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ort(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("libonnxruntime.so: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ort)
    assert load(tiny_model, device="cpu").engine == "torch"
    with pytest.raises(ValueError, match="needs onnxruntime"):
        load(tiny_model, device="cpu", engine="onnx")


def test_torch_is_asked_only_where_a_gpu_driver_is(monkeypatch):
    """No driver: the CPU engine without importing torch; a driver beside a torch that
    finds no GPU (a CPU-only wheel): still the CPU engine."""
    from duplicalt.ml.model import torch_engine

    monkeypatch.setattr(embed, "_torch_loaded", lambda: False)
    monkeypatch.setattr(embed, "_gpu_driver_present", lambda: False)
    monkeypatch.setattr(torch_engine, "choose_device", lambda _: pytest.fail("torch asked"))
    assert embed.accelerator_likely() is False
    monkeypatch.setattr(embed, "_gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch_engine, "choose_device", lambda _: torch.device("cpu"))
    assert embed.accelerator_likely() is False and choose_engine("auto", "auto", "fp32") == "onnx"
    monkeypatch.setattr(torch_engine, "choose_device", lambda _: torch.device("cuda"))
    assert embed.accelerator_likely() is True and choose_engine("auto", "auto", "fp32") == "torch"
