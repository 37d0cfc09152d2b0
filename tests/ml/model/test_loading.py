import json

import pytest
import torch

from duplicalt.ml.model.encoder import ResNet18Encoder
from duplicalt.ml.model.loading import ModelError, load_model, save_model, sha256_file


def test_save_and_reload_bit_identical(tmp_path):
    torch.manual_seed(1)
    model = ResNet18Encoder(width=8).eval()
    sidecar = save_model(model, tmp_path, "m", {"input_size": 48, "default_threshold": 0.7})
    meta = json.loads(sidecar.read_text())
    assert meta["sha256"] == sha256_file(tmp_path / "m.safetensors")
    assert meta["embedding_dim"] == 64 and meta["input_size"] == 48 and meta["dtype"] == "float16"
    first, second = load_model(sidecar), load_model(sidecar)
    for (k, a), b in zip(first.model.state_dict().items(), second.model.state_dict().values()):
        assert torch.equal(a, b), k
        ref = model.state_dict()[k]
        expected = ref.half().float() if ref.is_floating_point() else ref
        assert torch.equal(a, expected), k  # exactly the fp16-rounded weights
    x = torch.randn(2, 3, 48, 48)
    with torch.inference_mode():
        assert torch.equal(first.model(x), second.model(x))
    assert first.preprocess.size == 48 and first.meta["default_threshold"] == 0.7


def test_tampered_or_missing_weights_are_refused(tmp_path):
    sidecar = save_model(ResNet18Encoder(width=8), tmp_path, "m", {"input_size": 32})
    weights = tmp_path / "m.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        load_model(sidecar)
    weights.unlink()
    with pytest.raises(ModelError, match="missing"):
        load_model(sidecar)
    with pytest.raises(ModelError, match="No model installed"):
        load_model(tmp_path / "absent.json")


@pytest.mark.parametrize("change, message", [
    ({"input_size": 0}, '"input_size" must be a whole number'),
    ({"input_size": "224"}, '"input_size" must be a whole number'),
    ({"mean": [0.5]}, '"mean" must be a list of 3 numbers'),
    ({"weights": "../elsewhere.safetensors"}, '"weights" must name a file'),
    ({"centre_pool": 1.5}, '"centre_pool" must be 0'),
])
def test_a_bad_sidecar_is_a_clear_error(tmp_path, change, message):
    """Issue 13, item 10: input_size 0 was a traceback deep in the preprocessing."""
    sidecar = save_model(ResNet18Encoder(width=8), tmp_path, "m", {"input_size": 32})
    meta = json.loads(sidecar.read_text())
    meta.update(change)
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        load_model(sidecar)


def test_weights_that_are_not_safetensors_are_a_clear_error(tmp_path):
    """Issue 13, item 10: a pickle (or anything else) with a matching sha256."""
    sidecar = save_model(ResNet18Encoder(width=8), tmp_path, "m", {"input_size": 32})
    weights = tmp_path / "m.safetensors"
    torch.save({"x": torch.zeros(2)}, weights)  # a zip/pickle, not safetensors
    meta = json.loads(sidecar.read_text())
    meta["sha256"] = sha256_file(weights)
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="not a safetensors file"):
        load_model(sidecar)
    weights.write_bytes(b"\xff" * 64)
    meta["sha256"] = sha256_file(weights)
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="not a safetensors file"):
        load_model(sidecar)
