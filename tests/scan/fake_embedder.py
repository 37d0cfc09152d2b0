"""A torch-free embedder for core tests: the decoded photo at 8x8 RGB, centred
and L2-normalised. Crude but real: identical or resized photos score ~1.0."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from duplicalt.photos.decode import UnreadableImage, load_photo
from duplicalt.scan.types import EmbedOutcome


class PixelEmbedder:
    dim = 192

    def __init__(self, batch_size: int = 4, tag: str = "pixels-v1") -> None:
        self.batch_size = batch_size
        self.model_id = hashlib.sha256(tag.encode()).hexdigest()
        self.calls = 0  # photos embedded, to check the cache answers

    def vector(self, path: Path, keep=None) -> EmbedOutcome:
        img, info = load_photo(path, target=32)
        if keep is not None:
            keep(path, img, info, 32)
        arr = np.asarray(img.resize((8, 8), Image.BILINEAR), np.float32).ravel()
        arr -= arr.mean()
        return EmbedOutcome(0, vector=arr / (np.linalg.norm(arr) + 1e-9), info=info)

    def embed(self, paths: Sequence[Path], keep=None):
        for start in range(0, len(paths), self.batch_size):
            batch = []
            for i in range(start, min(start + self.batch_size, len(paths))):
                self.calls += 1
                try:
                    out = self.vector(paths[i], keep)
                    batch.append(EmbedOutcome(i, out.vector, out.info))
                except UnreadableImage as exc:
                    batch.append(EmbedOutcome(i, error=str(exc)))
            yield batch


class RegionPixelEmbedder(PixelEmbedder):
    """PixelEmbedder that also gives the pictures found inside a photo
    (ml.model.regions) vectors of their own, as the real embedder does."""

    def __init__(self, batch_size: int = 4, regions_key: str = "xycut-v1") -> None:
        super().__init__(batch_size, tag="pixels-regions-v1")
        self.regions_key = regions_key  # how regions are found: part of their verdicts' key

    @staticmethod
    def pixels(img) -> np.ndarray:
        arr = np.asarray(img.convert("RGB").resize((8, 8), Image.BILINEAR), np.float32).ravel()
        arr -= arr.mean()
        return arr / (np.linalg.norm(arr) + 1e-9)

    def embed(self, paths: Sequence[Path], keep=None):
        from duplicalt.ml.model.regions import region_boxes

        for start in range(0, len(paths), self.batch_size):
            batch = []
            for i in range(start, min(start + self.batch_size, len(paths))):
                self.calls += 1
                img, info = load_photo(paths[i])
                boxes = region_boxes(img)
                regions = np.stack([self.pixels(img.crop(b)) for b in boxes]) if boxes else None
                fractions = np.float32([(b[0] / img.width, b[1] / img.height, b[2] / img.width,
                                         b[3] / img.height) for b in boxes]) if boxes else None
                batch.append(EmbedOutcome(i, self.pixels(img), info, regions=regions,
                                          boxes=fractions))
            yield batch
