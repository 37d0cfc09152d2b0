"""The encoder's weights as an ONNX graph, written in memory (no torch, no onnx package).

A CPU scan runs the network in ONNX Runtime: it imports in ~0.2 s where torch
takes ~2 s, and on the 2-core machine its convolutions ran a 64-px view in
0.9 ms against torch's 1.3 ms (both with the batch norms folded). The graph is
built at load time from the shipped safetensors, so the weights exist once:
ResNet-18 with every batch norm folded into the convolution before it, pooled
(average, or GeM when ``gem_p`` != 1) and flattened; the L2 normalisation and
the test-time views stay in numpy (onnx_engine).

ONNX files are protocol buffers; the few messages needed (model, graph, node,
attribute, tensor, value info) are written here field by field. Field numbers
are those of onnx.proto (ModelProto.graph = 7, GraphProto.node = 1, ...).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

BN_EPS = 1e-5  # torch's BatchNorm2d default, which the encoder uses
OPSET = 13
IR_VERSION = 8
FLOAT = 1  # TensorProto.DataType.FLOAT
ATTR_INT, ATTR_INTS = 2, 7  # AttributeProto.AttributeType


class Message:
    """A protocol-buffer message as a list of byte chunks, joined once at the end
    (the 45 MB of weights are then copied once, not once per nesting level)."""

    def __init__(self) -> None:
        self.chunks: list = []
        self.size = 0

    def _raw(self, data) -> None:
        self.chunks.append(data)
        self.size += memoryview(data).nbytes

    def varint(self, field: int, value: int) -> "Message":
        self._raw(_varint(field << 3) + _varint(value))
        return self

    def bytes(self, field: int, data) -> "Message":
        if isinstance(data, str):
            data = data.encode()
        self._raw(_varint(field << 3 | 2) + _varint(memoryview(data).nbytes))
        self._raw(data)
        return self

    def message(self, field: int, sub: "Message") -> "Message":
        self._raw(_varint(field << 3 | 2) + _varint(sub.size))
        self.chunks.extend(sub.chunks)
        self.size += sub.size
        return self

    def tobytes(self) -> bytes:
        return b"".join(self.chunks)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values as two's complement, as protobuf does
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _tensor(name: str, array: np.ndarray) -> Message:
    array = np.ascontiguousarray(array, np.float32)
    msg = Message()
    for dim in array.shape:
        msg.varint(1, dim)
    return msg.varint(2, FLOAT).bytes(8, name).bytes(9, array.reshape(-1).view(np.uint8))


def _value_info(name: str, dims: list) -> Message:
    shape = Message()
    for d in dims:
        shape.message(1, Message().bytes(2, d) if isinstance(d, str) else Message().varint(1, d))
    tensor_type = Message().varint(1, FLOAT).message(2, shape)
    return Message().bytes(1, name).message(2, Message().message(1, tensor_type))


class GraphBuilder:
    """Nodes and weights of one graph, named in order of creation."""

    def __init__(self) -> None:
        self.nodes: list[Message] = []
        self.weights: list[Message] = []
        self._count = 0

    def weight(self, array: np.ndarray) -> str:
        name = f"w{len(self.weights)}"
        self.weights.append(_tensor(name, array))
        return name

    def op(self, op_type: str, inputs: list[str], **ints) -> str:
        self._count += 1
        out = f"t{self._count}"
        node = Message()
        for name in inputs:
            node.bytes(1, name)
        node.bytes(2, out).bytes(3, out).bytes(4, op_type)
        for key, value in ints.items():
            attr = Message().bytes(1, key)
            if isinstance(value, (list, tuple)):
                for v in value:
                    attr.varint(8, v)
                attr.varint(20, ATTR_INTS)
            else:
                attr.varint(3, value).varint(20, ATTR_INT)
            node.message(5, attr)
        self.nodes.append(node)
        return out

    def model(self, inputs: list[Message], output: Message) -> bytes:
        graph = Message()
        for node in self.nodes:
            graph.message(1, node)
        graph.bytes(2, "duplicalt_encoder")
        for w in self.weights:
            graph.message(5, w)
        for value in inputs:
            graph.message(11, value)
        graph.message(12, output)
        opset = Message().bytes(1, "").varint(2, OPSET)
        return Message().varint(1, IR_VERSION).bytes(2, "duplicalt").message(7, graph) \
            .message(8, opset).tobytes()


def folded(state: Mapping[str, np.ndarray], conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    """(weight, bias) of one convolution doing ``bn(conv(x))`` with the running statistics."""
    weight = np.asarray(state[f"{conv}.weight"], np.float32)
    gamma, beta, mean, var = (np.asarray(state[f"{bn}.{k}"], np.float32)
                              for k in ("weight", "bias", "running_mean", "running_var"))
    scale = gamma / np.sqrt(var + np.float32(BN_EPS))
    return weight * scale[:, None, None, None], beta - mean * scale


def _conv(g: GraphBuilder, x: str, state, conv: str, bn: str, stride: int, relu: bool) -> str:
    weight, bias = folded(state, conv, bn)
    k = weight.shape[2]
    out = g.op("Conv", [x, g.weight(weight), g.weight(bias)], kernel_shape=[k, k],
               strides=[stride, stride], pads=[k // 2] * 4)
    return g.op("Relu", [out]) if relu else out


def _block(g: GraphBuilder, x: str, state, prefix: str, stride: int) -> str:
    out = _conv(g, x, state, f"{prefix}.conv1", f"{prefix}.bn1", stride, True)
    out = _conv(g, out, state, f"{prefix}.conv2", f"{prefix}.bn2", 1, False)
    if f"{prefix}.downsample.0.weight" in state:
        x = _conv(g, x, state, f"{prefix}.downsample.0", f"{prefix}.downsample.1", stride, False)
    return g.op("Relu", [g.op("Add", [out, x])])


def _pool(g: GraphBuilder, x: str, gem_p: float, eps: float = 1e-6) -> str:
    """Average pooling, or GeM: mean(max(x, eps)^p)^(1/p), as encoder.GeM does."""
    if gem_p == 1.0:
        return g.op("GlobalAveragePool", [x])
    clamped = g.op("Max", [x, g.weight(np.float32([eps]))])
    pooled = g.op("GlobalAveragePool", [g.op("Pow", [clamped, g.weight(np.float32([gem_p]))])])
    return g.op("Pow", [pooled, g.weight(np.float32([1.0 / gem_p]))])


def resnet18_onnx(state: Mapping[str, np.ndarray], gem_p: float = 1.0) -> bytes:
    """The encoder (encoder.ResNet18Encoder's ``features``: pooled, not normalised)
    as ONNX bytes; input ``x`` (N, 3, H, W) normalised, output ``y`` (N, 8 * width)."""
    g = GraphBuilder()
    x = _conv(g, "x", state, "conv1", "bn1", 2, True)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    for stage in range(1, 5):
        for index in range(2):
            x = _block(g, x, state, f"layer{stage}.{index}", 2 if stage > 1 and index == 0 else 1)
    y = g.op("Flatten", [_pool(g, x, gem_p)], axis=1)
    dim = int(np.asarray(state["layer4.1.conv2.weight"]).shape[0])
    return g.model([_value_info("x", ["N", 3, "H", "W"])], _value_info(y, ["N", dim]))
