import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's real cache from tests."""
    monkeypatch.setenv("DUPLICALT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # nor the user's data folder (the scan seal's key, not-duplicates, sessions)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A small randomly initialised encoder written like a real model (sidecar + sha256)."""
    import torch

    from duplicalt.ml.model.encoder import ResNet18Encoder
    from duplicalt.ml.model.loading import save_model

    torch.manual_seed(0)
    model = ResNet18Encoder(width=8)
    return save_model(model, tmp_path_factory.mktemp("model"), "tiny",
                      {"input_size": 64, "default_threshold": 0.95})


@pytest.fixture(scope="session")
def tiny_embedder(tiny_model):
    from duplicalt.ml.model.embed import load

    return load(tiny_model, device="cpu", batch_size=8, workers=2)
