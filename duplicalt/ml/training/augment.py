"""Duplicate-style augmentations as batched tensor ops, seeded by a torch.Generator.

The edits are the ones people make to copies of a photo (not the ones that help
classification): mild crops, mirror, 90-degree and small rotations, borders and
letterboxing, aspect squeeze, colour/levels edits, grayscale, blur, re-scaling,
JPEG re-encoding and text/logo overlays. Every view ends like inference does: the
whole (edited) picture squeezed to ``size x size`` and normalised with ImageNet
mean/std. Inputs are uint8 or [0, 1] float batches (N, 3, H, W) on any device.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from duplicalt.ml.training import augment_ops as ops

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


@dataclass(frozen=True)
class AugmentConfig:
    size: int = 64
    scale: tuple[float, float] = (0.4, 1.0)     # crop area fraction
    ratio: tuple[float, float] = (0.75, 1.333)  # crop aspect
    p_full: float = 0.3                          # keep the whole picture
    p_center: float = 0.1                        # centre crop, side 70-85%
    p_squeeze: float = 0.2                       # extra aspect squeeze 0.7-1.4
    p_hflip: float = 0.5
    p_rot90: float = 0.2
    p_rotate: float = 0.25                       # +-10 degrees
    max_degrees: float = 10.0
    p_border: float = 0.12                       # solid frame on all sides
    p_letterbox: float = 0.1                     # bars on one axis
    p_overlay: float = 0.3                       # text / rectangle / stroke
    p_color: float = 0.8
    brightness: float = 0.3
    contrast: float = 0.3
    saturation: float = 0.4
    hue: float = 0.05                            # fraction of a full turn
    gamma: float = 0.3
    p_gray: float = 0.1
    p_blur: float = 0.15
    p_downup: float = 0.2                        # downscale to 35-75 %, back up
    p_jpeg: float = 0.3
    jpeg_quality: tuple[int, int] = (20, 85)


def _u(g: torch.Generator, n: int, lo: float = 0.0, hi: float = 1.0, device=None) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) * (hi - lo) + lo


def _rot(angle: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def _crop_box(n: int, g: torch.Generator, cfg: AugmentConfig, dev) -> torch.Tensor:
    """Half-sizes (n, 2) of the crop in normalised input coordinates."""
    area = _u(g, n, *cfg.scale, device=dev)
    logr = _u(g, n, math.log(cfg.ratio[0]), math.log(cfg.ratio[1]), device=dev)
    half = torch.stack([torch.sqrt(area * logr.exp()), torch.sqrt(area / logr.exp())], 1)
    pick = _u(g, n, device=dev)
    centre = _u(g, n, 0.7, 0.85, device=dev).unsqueeze(1).expand(n, 2)
    half = torch.where((pick < cfg.p_full).unsqueeze(1), torch.ones_like(half), half)
    band = (pick >= cfg.p_full) & (pick < cfg.p_full + cfg.p_center)
    half = torch.where(band.unsqueeze(1), centre, half)
    squeeze = torch.where(_u(g, n, device=dev) < cfg.p_squeeze, _u(g, n, 0.7, 1.4, device=dev), 1.0)
    half = half * torch.stack([squeeze, torch.ones_like(squeeze)], 1)
    return half.clamp(0.2, 1.0)


def _frame(n: int, g: torch.Generator, cfg: AugmentConfig, dev) -> tuple[torch.Tensor, torch.Tensor]:
    """(fraction of the frame the picture fills (n,2), its centre offset (n,2))."""
    pick = _u(g, n, device=dev)
    border = _u(g, n, 0.75, 0.95, device=dev).unsqueeze(1).expand(n, 2)
    bar = _u(g, n, 0.55, 0.9, device=dev)
    axis = _u(g, n, device=dev) < 0.5
    letter = torch.stack([torch.where(axis, bar, 1.0), torch.where(axis, 1.0, bar)], 1)
    f = torch.ones(n, 2, device=dev)
    f = torch.where((pick < cfg.p_border).unsqueeze(1), border, f)
    lb = (pick >= cfg.p_border) & (pick < cfg.p_border + cfg.p_letterbox)
    f = torch.where(lb.unsqueeze(1), letter, f)
    offset = (1.0 - f) * (_u(g, 2 * n, -0.3, 0.3, device=dev).view(n, 2))
    return f, offset


def _theta(n: int, g: torch.Generator, cfg: AugmentConfig, dev) -> torch.Tensor:
    """Affine maps (n, 2, 3) from output to input coordinates: frame, rotate, flip, crop."""
    half = _crop_box(n, g, cfg, dev)
    slack = 1.0 - half
    shift = (_u(g, 2 * n, -1.0, 1.0, device=dev).view(n, 2)) * slack
    f, offset = _frame(n, g, cfg, dev)
    small = torch.deg2rad(_u(g, n, -cfg.max_degrees, cfg.max_degrees, device=dev))
    small = torch.where(_u(g, n, device=dev) < cfg.p_rotate, small, 0.0)
    zoom = torch.where(_u(g, n, device=dev) < 0.5, 1.0 / (small.cos() + small.sin().abs()), 1.0)
    k = torch.randint(1, 4, (n,), generator=g, device=dev).float()
    k = torch.where(_u(g, n, device=dev) < cfg.p_rot90, k, 0.0)
    flip = torch.where(_u(g, n, device=dev) < cfg.p_hflip, -1.0, 1.0)
    r90 = _rot(k * (math.pi / 2)).round()
    a = torch.diag_embed(half) @ torch.diag_embed(torch.stack([flip, torch.ones_like(flip)], 1))
    a = a @ r90 @ (_rot(small) * zoom.view(n, 1, 1)) @ torch.diag_embed(1.0 / f)
    b = shift - (a @ offset.unsqueeze(2)).squeeze(2)
    return torch.cat([a, b.unsqueeze(2)], 2)


def _fill_colours(n: int, g: torch.Generator, dev) -> torch.Tensor:
    """Solid colours for borders/bars/overlays: black, white, grey or any colour."""
    pick = _u(g, n, device=dev).unsqueeze(1)
    grey = _u(g, n, device=dev).unsqueeze(1).expand(n, 3)
    rand = torch.rand(n, 3, generator=g, device=dev)
    out = torch.where(pick < 0.35, 0.0, torch.where(pick < 0.65, 1.0, torch.where(pick < 0.8, grey, rand)))
    return out.view(n, 3, 1, 1)


def geometry(x: torch.Tensor, g: torch.Generator, cfg: AugmentConfig, out: int) -> torch.Tensor:
    n = x.shape[0]
    theta = _theta(n, g, cfg, x.device)
    fill = _fill_colours(n, g, x.device)
    grid = F.affine_grid(theta, [n, 4, out, out], align_corners=False)
    x4 = torch.cat([x, torch.ones_like(x[:, :1])], 1)
    y = F.grid_sample(x4, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return y[:, :3] + (1.0 - y[:, 3:]) * fill


def colour(x: torch.Tensor, g: torch.Generator, cfg: AugmentConfig) -> torch.Tensor:
    n, dev = x.shape[0], x.device
    on = (_u(g, n, device=dev) < cfg.p_color).float()

    def factor(amount: float) -> torch.Tensor:
        return (1.0 + on * _u(g, n, -amount, amount, device=dev)).view(n, 1, 1, 1)

    bright, contrast, sat = factor(cfg.brightness), factor(cfg.contrast), factor(cfg.saturation)
    gamma = factor(cfg.gamma)
    hue = on * _u(g, n, -cfg.hue, cfg.hue, device=dev) * 2 * math.pi
    to_gray = (_u(g, n, device=dev) < cfg.p_gray).view(n, 1, 1, 1)
    m = _RGB2YIQ.to(x)
    rot = torch.eye(3, device=dev).repeat(n, 1, 1)
    rot[:, 1:, 1:] = _rot(hue) * sat.view(n, 1, 1)  # hue turn + saturation in YIQ
    mat = torch.linalg.inv(m) @ rot @ m
    x = torch.einsum("nij,njhw->nihw", mat, x * bright)
    mean = (x.mean(dim=(2, 3), keepdim=True) * m[0].view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = ((x - mean) * contrast + mean).clamp(0.0, 1.0).pow(gamma)
    gray = (x * m[0].view(1, 3, 1, 1)).sum(1, keepdim=True).expand_as(x)
    return torch.where(to_gray, gray, x)


def _subset(x: torch.Tensor, mask: torch.Tensor, fn, *params: torch.Tensor) -> torch.Tensor:
    idx = mask.nonzero().flatten()
    if idx.numel():
        x = x.clone()
        x[idx] = fn(x[idx], *(p[idx] for p in params))
    return x


class Augment:
    """``Augment(cfg)(images, generator)`` -> normalised float views (N, 3, S, S)."""

    def __init__(self, cfg: AugmentConfig | None = None, text_seed: int = 0) -> None:
        self.cfg = cfg or AugmentConfig()
        self.text_bank = ops.render_text_bank(seed=text_seed)

    def overlay(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n, dev, size = x.shape[0], x.device, tuple(x.shape[2:])
        sel = _u(g, n, device=dev) < self.cfg.p_overlay
        kind = torch.randint(0, 4, (n,), generator=g, device=dev)  # 0 rect, 1 stroke, 2-3 text
        p = torch.rand(n, 5, generator=g, device=dev)
        pick = torch.randint(0, self.text_bank.shape[0], (n,), generator=g, device=dev)
        hh = 0.05 + 0.07 * p[:, 3]
        box = torch.stack([p[:, 0] * 1.2 - 0.8, p[:, 1] * 1.6 - 0.8, hh * 8, hh], 1)
        opacity = _u(g, n, 0.5, 1.0, device=dev).view(n, 1, 1, 1)
        col = _fill_colours(n, g, dev)
        idx = sel.nonzero().flatten()
        if not idx.numel():
            return x
        text = ops.text_alpha(self.text_bank.to(dev), pick[idx], box[idx], size)
        shape = ops.shape_alpha(kind[idx].clamp(max=1), p[idx], size)
        alpha = torch.where((kind[idx] >= 2).view(-1, 1, 1, 1), text, shape) * opacity[idx]
        x = x.clone()
        x[idx] = x[idx] * (1.0 - alpha) + col[idx] * alpha
        return x

    def degrade(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n, dev, c = x.shape[0], x.device, self.cfg
        blur, sigma = _u(g, n, device=dev) < c.p_blur, _u(g, n, 0.3, 1.2, device=dev)
        down, factor = _u(g, n, device=dev) < c.p_downup, _u(g, n, 0.35, 0.75, device=dev)
        jpeg = _u(g, n, device=dev) < c.p_jpeg
        quality = torch.randint(c.jpeg_quality[0], c.jpeg_quality[1] + 1, (n,), generator=g, device=dev)
        x = _subset(x, blur, ops.gaussian_blur, sigma)
        x = _subset(x, down, ops.down_up, factor)
        return _subset(x, jpeg, ops.jpeg_approx, quality)

    def __call__(self, images: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        x = to_unit(images)
        size = self.cfg.size
        work = max(size, x.shape[-1])  # warp at the source scale, then antialiased resize
        x = self.overlay(geometry(x, g, self.cfg, work), g)
        if work != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        x = self.degrade(colour(x, g, self.cfg), g)
        return normalise(x)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    if images.dtype == torch.uint8:
        return images.float().div_(255.0)
    return images.float()


def normalise(x: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return ((x.clamp(0.0, 1.0) - mean) / std).contiguous(memory_format=torch.channels_last)


def plain(images: torch.Tensor, size: int) -> torch.Tensor:
    """The un-edited photo as inference sees it: whole picture squeezed to size x size."""
    x = to_unit(images)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return normalise(x)
