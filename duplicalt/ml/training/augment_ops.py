"""Batched image-degradation ops for duplicate-style augmentation.

All take float images in [0, 1], shape (N, 3, H, W), plus per-sample parameters
as tensors, so they run unchanged on a GPU. JPEG is approximated in-graph: 4:2:0
chroma subsampling + 8x8 DCT quantised with the IJG tables scaled by quality.
"""
from __future__ import annotations

import math
import random

import numpy as np
import torch
import torch.nn.functional as F

_Q_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
           57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
           55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
           100, 103, 99]
_Q_CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66] + [99] * 4 + \
            [24, 26, 56, 99] + [99] * 4 + [47, 66] + [99] * 38
_RGB2YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                         [0.5, -0.418688, -0.081312]])


def _dct_matrix(n: int = 8) -> torch.Tensor:
    k = torch.arange(n, dtype=torch.float64).view(-1, 1)
    i = torch.arange(n, dtype=torch.float64).view(1, -1)
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    d[0] /= math.sqrt(2.0)
    return d.float()


def quality_tables(quality: torch.Tensor) -> torch.Tensor:
    """IJG-scaled (N, 2, 8, 8) quantisation tables (luma, chroma) for qualities 1..100."""
    q = quality.float().clamp(1, 100).view(-1, 1, 1, 1)
    scale = torch.where(q < 50, 5000.0 / q, 200.0 - 2.0 * q)
    base = torch.tensor([_Q_LUMA, _Q_CHROMA], dtype=torch.float32, device=q.device).view(1, 2, 8, 8)
    return torch.floor((base * scale + 50.0) / 100.0).clamp(min=1.0)


def jpeg_approx(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Approximate JPEG re-encoding at per-sample quality (N,) of images (N,3,H,W) in [0,1]."""
    n, _, h, w = x.shape
    ph, pw = (-h) % 16, (-w) % 16
    y = F.pad(x, (0, pw, 0, ph), mode="replicate") * 255.0
    m = _RGB2YCC.to(x)
    ycc = torch.einsum("ij,njhw->nihw", m, y) + torch.tensor([0.0, 128.0, 128.0], device=x.device).view(1, 3, 1, 1)
    chroma = F.interpolate(F.avg_pool2d(ycc[:, 1:], 2), scale_factor=2, mode="nearest")
    ycc = torch.cat([ycc[:, :1], chroma], 1) - 128.0
    hh, ww = ycc.shape[2] // 8, ycc.shape[3] // 8
    blocks = ycc.view(n, 3, hh, 8, ww, 8).permute(0, 1, 2, 4, 3, 5)  # n,c,bh,bw,8,8
    d = _dct_matrix().to(x)
    coef = d @ blocks @ d.T
    tables = quality_tables(quality.to(x.device))
    qt = torch.cat([tables[:, :1], tables[:, 1:2].expand(n, 2, 8, 8)], 1).view(n, 3, 1, 1, 8, 8)
    coef = torch.round(coef / qt) * qt
    blocks = d.T @ coef @ d
    ycc = blocks.permute(0, 1, 2, 4, 3, 5).reshape(n, 3, hh * 8, ww * 8) + 128.0
    ycc = ycc - torch.tensor([0.0, 128.0, 128.0], device=x.device).view(1, 3, 1, 1)
    rgb = torch.einsum("ij,njhw->nihw", torch.linalg.inv(m), ycc) / 255.0
    return rgb[:, :, :h, :w].clamp(0.0, 1.0)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur with a per-sample sigma in pixels."""
    n, c, h, w = x.shape
    radius = int(min(max(1, math.ceil(2.5 * float(sigma.max()))), (min(h, w) - 1) // 2))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t.view(1, -1) / sigma.to(x).view(-1, 1).clamp(min=1e-3)) ** 2)
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (n*c, K)
    y = F.pad(x.reshape(1, n * c, h, w), (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(n * c, 1, 1, -1), groups=n * c)
    y = F.conv2d(y, k.view(n * c, 1, -1, 1), groups=n * c)
    return y.view(n, c, h, w)


def down_up(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Downscale by a per-sample factor (antialiased), then back up (bilinear)."""
    out = x.clone()
    h, w = x.shape[2:]
    sizes = (factor.clamp(0.05, 1.0) * h).round().clamp(min=4).long()
    for s in sizes.unique().tolist():
        idx = (sizes == s).nonzero().flatten()
        small = F.interpolate(x[idx], size=(s, max(4, round(s * w / h))), mode="bilinear",
                              antialias=True, align_corners=False)
        out[idx] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return out.clamp(0.0, 1.0)


def render_text_bank(count: int = 48, seed: int = 0, height: int = 24,
                     width: int = 192) -> torch.Tensor:
    """Alpha masks (count, 1, height, width) of captions, timestamps and watermarks."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    words = ["holiday", "SALE", "Copyright", "Photo", "best day", "LOL", "summer", "IMG",
             "wedding", "Mum & Dad", "@instagram", "Paris", "sample", "DRAFT", "#tbt"]
    font = ImageFont.load_default(size=height - 6)
    bank = np.zeros((count, 1, height, width), dtype=np.float32)
    for i in range(count):
        kind = rng.random()
        if kind < 0.3:
            text = f"{rng.randint(1998, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            text += f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" if rng.random() < 0.5 else ""
        elif kind < 0.5:
            text = f"\u00a9 {rng.choice(words)} {rng.randint(2000, 2025)}"
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        img = Image.new("L", (width, height), 0)
        ImageDraw.Draw(img).text((2, 1), text, fill=255, font=font)
        bank[i, 0] = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy(bank)


def text_alpha(bank: torch.Tensor, pick: torch.Tensor, box: torch.Tensor,
               size: tuple[int, int]) -> torch.Tensor:
    """Place mask ``pick[i]`` in box (cx, cy, half_w, half_h), normalised coords -> (n,1,H,W)."""
    n = pick.numel()
    theta = torch.zeros(n, 2, 3, device=box.device)
    theta[:, 0, 0] = 1.0 / box[:, 2]
    theta[:, 1, 1] = 1.0 / box[:, 3]
    theta[:, 0, 2] = -box[:, 0] / box[:, 2]
    theta[:, 1, 2] = -box[:, 1] / box[:, 3]
    grid = F.affine_grid(theta, [n, 1, *size], align_corners=False)
    return F.grid_sample(bank[pick].to(box), grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def shape_alpha(kind: torch.Tensor, p: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Rectangles (kind 0) or thick strokes (kind 1); p (n, 5) in [0, 1] -> alpha (n,1,H,W)."""
    h, w = size
    ys = torch.linspace(-1, 1, h, device=p.device).view(1, h, 1)
    xs = torch.linspace(-1, 1, w, device=p.device).view(1, 1, w)
    cx, cy = (p[:, 0] * 1.6 - 0.8).view(-1, 1, 1), (p[:, 1] * 1.6 - 0.8).view(-1, 1, 1)
    hw, hh = (0.08 + 0.3 * p[:, 2]).view(-1, 1, 1), (0.06 + 0.25 * p[:, 3]).view(-1, 1, 1)
    rect = ((xs - cx).abs() <= hw) & ((ys - cy).abs() <= hh)
    ang = (p[:, 4] * math.pi).view(-1, 1, 1)
    dx, dy = torch.cos(ang) * hw * 2, torch.sin(ang) * hw * 2  # segment half-vector
    t = (((xs - cx) * dx + (ys - cy) * dy) / (dx * dx + dy * dy)).clamp(-1, 1)
    dist = torch.sqrt((xs - cx - t * dx) ** 2 + (ys - cy - t * dy) ** 2)
    stroke = dist <= (0.015 + 0.04 * p[:, 3]).view(-1, 1, 1)
    out = torch.where(kind.view(-1, 1, 1) == 0, rect, stroke)
    return out.unsqueeze(1).float()
