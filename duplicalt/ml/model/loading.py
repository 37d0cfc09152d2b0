"""Save and load the encoder as a torch module: safetensors weights + a JSON sidecar.

Finding and checking the files is model_file's (torch-free); here the weights
become a ResNet18Encoder. Like CLIP's ``load()``, the loader returns the model
together with its preprocessing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from duplicalt.ml.model.encoder import ResNet18Encoder
from duplicalt.ml.model.model_file import (DEFAULT_NAME, MODELS_DIR, ModelError, ModelFile,
                                           find_model, read_model_file, sha256_file)
from duplicalt.ml.model.preprocess import Preprocess

__all__ = ["DEFAULT_NAME", "MODELS_DIR", "LoadedModel", "ModelError", "build_encoder",
           "find_model", "load_model", "save_model", "sha256_file"]


@dataclass(frozen=True)
class LoadedModel:
    model: ResNet18Encoder
    preprocess: Preprocess
    sha256: str
    meta: dict
    path: Path


def save_model(model: ResNet18Encoder, directory: Path, name: str, meta: dict,
               dtype: torch.dtype = torch.float16) -> Path:
    """Write ``name.safetensors`` and ``name.json``; return the sidecar path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / f"{name}.safetensors"
    state = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous().cpu()
             for k, v in model.state_dict().items()}
    save_file(state, str(weights))
    sidecar = {
        "architecture": "resnet18",
        "width": model.width,
        "gem_p": model.pool.p,
        "embedding_dim": model.embedding_dim,
        "input_size": int(meta.get("input_size", 112)),
        "mean": list(meta.get("mean", (0.485, 0.456, 0.406))),
        "std": list(meta.get("std", (0.229, 0.224, 0.225))),
        "resize": "whole image squeezed to input_size x input_size, no crop",
        "weights": weights.name,
        "dtype": str(dtype).replace("torch.", ""),
        "sha256": sha256_file(weights),
    }
    sidecar.update({k: v for k, v in meta.items() if k not in sidecar or k in ("input_size",)})
    path = directory / f"{name}.json"
    path.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return path


def build_encoder(found: ModelFile) -> ResNet18Encoder:
    """The torch encoder of a checked model file, in eval mode (GeM exponent from its meta)."""
    meta = found.meta
    model = ResNet18Encoder(width=int(meta.get("width", 64)), gem_p=float(meta.get("gem_p", 1.0)))
    state = {k: torch.from_numpy(v.copy()) for k, v in found.state().items()}
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelError(f"Model weights do not fit the encoder: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
    return model.eval()


def load_model(spec: str | Path | None = None) -> LoadedModel:
    found = read_model_file(spec)
    meta = found.meta
    pre = Preprocess(size=int(meta["input_size"]), mean=tuple(meta["mean"]), std=tuple(meta["std"]),
                     grayscale=bool(meta.get("grayscale", False)))
    return LoadedModel(model=build_encoder(found), preprocess=pre, sha256=found.sha256, meta=meta,
                       path=found.path)
