"""Inference preprocessing: a decoded RGB photo -> normalised float tensor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class Preprocess:
    size: int = 112
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    grayscale: bool = False  # embed luminance only: colour edits cannot move a vector

    def to_array(self, img: Image.Image) -> np.ndarray:
        """Whole image squeezed to size x size (no crop), uint8 HWC."""
        if self.grayscale:
            img = img.convert("L")
        if img.mode != "RGB":
            img = img.convert("RGB")
        if img.size != (self.size, self.size):
            img = img.resize((self.size, self.size), Image.BILINEAR, reducing_gap=2.0)
        return np.asarray(img, dtype=np.uint8)

    def batch(self, arrays: list[np.ndarray]) -> torch.Tensor:
        """uint8 HWC arrays -> normalised float NCHW tensor (channels_last)."""
        x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous(memory_format=torch.channels_last)

    def __call__(self, img: Image.Image) -> torch.Tensor:
        return self.batch([self.to_array(img)])[0]
