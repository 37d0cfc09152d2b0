"""Embedder speed options: thread settings and bf16 never change what fp32 gives."""
import numpy as np
import pytest
import torch

from duplicalt.ml.model import embed, torch_engine
from duplicalt.ml.model.embed import load
from tests.sample_photos import make_photo, save


def photos(tmp_path, n=10):
    return [save(make_photo(k, (200, 150)), tmp_path / f"p{k}.jpg", quality=90) or
            tmp_path / f"p{k}.jpg" for k in range(n)]


def vectors(embedder, paths):
    out = [o for batch in embedder.embed(paths) for o in batch]
    assert [o.index for o in out] == list(range(len(paths)))
    return np.stack([o.vector for o in out])


def test_default_threads_share_cores_between_decoding_and_inference(monkeypatch):
    monkeypatch.setattr(embed.os, "cpu_count", lambda: 2)
    assert embed.default_threads(None) == (2, 2)
    monkeypatch.setattr(embed.os, "cpu_count", lambda: 1)
    assert embed.default_threads(None) == (2, 1)
    monkeypatch.setattr(embed.os, "cpu_count", lambda: 16)
    assert embed.default_threads(None) == (16, 4)
    assert embed.default_threads(3) == (3, 4)


def test_thread_count_is_used_for_inference_and_restored(tiny_model, tmp_path):
    paths = photos(tmp_path, 6)
    seen = []
    before = torch.get_num_threads()
    one = load(tiny_model, device="cpu", batch_size=4, workers=2, threads=1, engine="torch")
    real = one.model.forward
    one.model.forward = lambda x: seen.append(torch.get_num_threads()) or real(x)
    a = vectors(one, paths)
    assert seen == [1, 1] and torch.get_num_threads() == before
    b = vectors(load(tiny_model, device="cpu", batch_size=3, workers=3, threads=2,
                    engine="torch"), paths)
    assert np.allclose(a, b, atol=1e-5)  # threads and batching do not change vectors


def test_bf16_is_close_and_cached_apart(tiny_model, tmp_path):
    if not torch_engine.bf16_supported():
        with pytest.raises(ValueError):
            load(tiny_model, device="cpu", precision="bf16")
        return
    paths = photos(tmp_path, 4)
    fp32 = load(tiny_model, device="cpu")
    bf16 = load(tiny_model, device="cpu", precision="bf16")
    assert bf16.model_id != fp32.model_id
    sims = (vectors(fp32, paths) * vectors(bf16, paths)).sum(1)
    assert sims.min() > 0.999


def test_unknown_precision_is_refused(tiny_model):
    with pytest.raises(ValueError):
        load(tiny_model, device="cpu", precision="int3")
