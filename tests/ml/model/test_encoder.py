import torch
from torch import nn

from duplicalt.ml.model.encoder import ResNet18Encoder, fuse_batchnorm


def _trained_looking(width: int = 8) -> ResNet18Encoder:
    """A narrow encoder whose batch norms have non-trivial statistics and affine terms."""
    torch.manual_seed(0)
    model = ResNet18Encoder(width=width)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_the_fused_encoder_computes_the_same_embedding():
    model = _trained_looking()
    x = torch.randn(6, 3, 48, 48)
    fused = fuse_batchnorm(model)
    with torch.inference_mode():
        assert torch.allclose(model(x), fused(x), atol=1e-5)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original untouched


def test_other_modules_are_not_fused():
    other = nn.Linear(3, 2)
    assert fuse_batchnorm(other) is other
