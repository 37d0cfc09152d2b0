from dataclasses import replace

import torch

from duplicalt.ml.training import augment_ops as ops
from duplicalt.ml.training.augment import MEAN, STD, Augment, AugmentConfig, plain

LO = min((0 - m) / s for m, s in zip(MEAN, STD)) - 1e-4
HI = max((1 - m) / s for m, s in zip(MEAN, STD)) + 1e-4
ALWAYS = AugmentConfig(size=32, p_full=0.0, p_center=0.5, p_squeeze=1, p_hflip=1, p_rot90=1,
                       p_rotate=1, p_border=0.5, p_letterbox=0.5, p_overlay=1, p_color=1,
                       p_gray=0.5, p_blur=1, p_downup=1, p_jpeg=1)


def photos(n=6, size=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)


def test_shapes_dtype_and_range():
    for cfg in (AugmentConfig(size=32), ALWAYS):
        out = Augment(cfg)(photos(), torch.Generator().manual_seed(0))
        assert out.shape == (6, 3, 32, 32) and out.dtype == torch.float32
        assert torch.isfinite(out).all() and out.min() >= LO and out.max() <= HI


def test_float_input_and_upscaling_source():
    x = photos(size=24).float() / 255
    out = Augment(AugmentConfig(size=32))(x, torch.Generator().manual_seed(1))
    assert out.shape == (6, 3, 32, 32)


def test_deterministic_under_seed_and_varies_with_seed():
    aug = Augment(ALWAYS)
    a = aug(photos(), torch.Generator().manual_seed(3))
    b = aug(photos(), torch.Generator().manual_seed(3))
    c = aug(photos(), torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_light_config_keeps_picture_close_to_plain():
    cfg = replace(ALWAYS, p_full=1.0, p_center=0, p_squeeze=0, p_hflip=0, p_rot90=0, p_rotate=0,
                  p_border=0, p_letterbox=0, p_overlay=0, p_color=0, p_gray=0, p_blur=0,
                  p_downup=0, p_jpeg=0)
    x = photos(size=32)
    out = Augment(cfg)(x, torch.Generator().manual_seed(0))
    assert (out - plain(x, 32)).abs().max() < 0.05


def test_jpeg_approx_quality_orders_error():
    g = torch.Generator().manual_seed(5)
    x = torch.nn.functional.interpolate(torch.rand(2, 3, 4, 4, generator=g), size=(32, 32),
                                        mode="bilinear", align_corners=False)
    hi = ops.jpeg_approx(x, torch.tensor([95, 95]))
    lo = ops.jpeg_approx(x, torch.tensor([10, 10]))
    assert hi.shape == x.shape
    assert (hi - x).abs().mean() < (lo - x).abs().mean()
    assert (hi - x).abs().mean() < 0.03
    gray = x.mean(1, keepdim=True).expand_as(x)  # no chroma: only quantisation error
    assert (ops.jpeg_approx(gray, torch.tensor([100, 100])) - gray).abs().max() < 0.01


def test_blur_and_downup_preserve_mean_roughly():
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(6))
    for y in (ops.gaussian_blur(x, torch.tensor([0.5, 1.0, 1.5])),
              ops.down_up(x, torch.tensor([0.3, 0.5, 0.7]))):
        assert y.shape == x.shape
        assert (y.mean() - x.mean()).abs() < 0.02 and y.std() < x.std()
