"""The hand-written ONNX protocol buffers: the encoding, and the graph's function."""
import numpy as np
import torch

from duplicalt.ml.model.onnx_graph import Message, _varint, folded, resnet18_onnx
from tests.ml.model.test_encoder import _trained_looking


def test_varints_are_protobuf_varints():
    # the examples of the protobuf encoding guide: 1, 150 and 300; -1 is ten bytes
    assert _varint(1) == b"\x01" and _varint(150) == b"\x96\x01" and _varint(300) == b"\xac\x02"
    assert _varint(-1) == b"\xff" * 9 + b"\x01"


def test_a_nested_message_is_length_prefixed_once():
    inner = Message().varint(1, 150)  # the guide's "08 96 01"
    outer = Message().message(3, inner).bytes(2, "testing")
    assert outer.tobytes() == b"\x1a\x03\x08\x96\x01" + b"\x12\x07testing"
    assert outer.size == len(outer.tobytes())


def test_folding_keeps_the_batch_norm_s_function():
    torch.manual_seed(1)
    model = _trained_looking(8).eval()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    weight, bias = folded(state, "conv1", "bn1")
    x = torch.randn(2, 3, 20, 20)
    want = model.bn1(model.conv1(x)).detach().numpy()
    got = torch.nn.functional.conv2d(x, torch.from_numpy(weight), torch.from_numpy(bias),
                                     stride=2, padding=3).numpy()
    assert np.abs(got - want).max() < 1e-5


def test_the_graph_computes_the_encoder_s_features():
    import onnxruntime as ort

    torch.manual_seed(2)
    model = _trained_looking(8).eval()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    session = ort.InferenceSession(resnet18_onnx(state), providers=["CPUExecutionProvider"])
    x = torch.randn(3, 3, 40, 56)  # any height and width: the input's size is not fixed
    want = model.features(x).detach().numpy()
    got = session.run(None, {"x": x.numpy()})[0]
    assert got.shape == (3, 64) and np.abs(got - want).max() < 1e-4
