"""Save and load the encoder: safetensors weights + a JSON sidecar.

Loading never unpickles anything: the weights are safetensors, checked against
the sha256 in the sidecar before they are read. Like CLIP's ``load()``, the
loader returns the model together with its preprocessing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from duplicalt.ml.model.encoder import ResNet18Encoder
from duplicalt.ml.model.preprocess import Preprocess

DEFAULT_NAME = "duplicalt-resnet18"
# The shipped model is package data (duplicalt/ml/model/weights/), so an installed
# wheel, a pipx install and the bundled app find it as well as a checkout does.
MODELS_DIR = Path(str(resources.files("duplicalt.ml.model").joinpath("weights")))


class ModelError(RuntimeError):
    """The model is missing, damaged or does not match its sidecar."""


@dataclass(frozen=True)
class LoadedModel:
    model: ResNet18Encoder
    preprocess: Preprocess
    sha256: str
    meta: dict
    path: Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def find_model(spec: str | Path | None = None) -> Path:
    """Resolve a model sidecar: an explicit path, a name in MODELS_DIR, or the default."""
    if spec is None:
        candidate = MODELS_DIR / f"{DEFAULT_NAME}.json"
    else:
        candidate = Path(spec)
        if candidate.suffix == ".safetensors":
            candidate = candidate.with_suffix(".json")
        if not candidate.exists() and not candidate.suffix:
            candidate = MODELS_DIR / f"{spec}.json"
    if not candidate.is_file():
        raise ModelError(
            f"No model installed: {candidate} does not exist. Train one with "
            "`duplicalt train --export duplicalt-resnet18` or pass --model PATH.json."
        )
    return candidate


def _check_sidecar(meta, path: Path) -> None:
    """ModelError unless the sidecar's values can build an encoder and its preprocessing."""
    def bad(what: str) -> ModelError:
        return ModelError(f"Model sidecar {path} is invalid: {what}")

    if not isinstance(meta, dict):
        raise bad("not a JSON object")
    if not isinstance(meta.get("weights"), str) or Path(meta["weights"]).name != meta["weights"]:
        raise bad('"weights" must name a file next to the sidecar')
    for key, low, high in (("input_size", 16, 4096), ("width", 1, 1024)):
        value = meta.get(key, 64 if key == "width" else None)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise bad(f'"{key}" must be a whole number from {low} to {high}, not {value!r}')
    for key in ("mean", "std"):
        value = meta.get(key)
        if not isinstance(value, list) or len(value) != 3 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise bad(f'"{key}" must be a list of 3 numbers')
    if not all(v > 0 for v in meta["std"]):
        raise bad('"std" values must be positive')


def _read_weights(weights: Path) -> dict:
    try:
        return load_file(str(weights))
    except Exception as exc:  # SafetensorError, a header that is not JSON, ...
        raise ModelError(f"Model weights {weights} are not a safetensors file "
                         f"({exc.__class__.__name__}: {exc})") from None


def load_model(spec: str | Path | None = None) -> LoadedModel:
    sidecar_path = find_model(spec)
    try:
        meta = json.loads(sidecar_path.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelError(f"Model sidecar {sidecar_path} is unreadable: {exc}") from exc
    _check_sidecar(meta, sidecar_path)
    weights = sidecar_path.parent / meta["weights"]
    if not weights.is_file():
        raise ModelError(f"Model weights {weights} are missing.")
    digest = sha256_file(weights)
    if digest != meta.get("sha256"):
        raise ModelError(f"Model weights {weights} do not match the sha256 in {sidecar_path.name} "
                         f"(expected {meta.get('sha256')}, got {digest}).")
    model = ResNet18Encoder(width=int(meta.get("width", 64)), gem_p=float(meta.get("gem_p", 1.0)))
    state = {k: v.float() if v.is_floating_point() else v for k, v in _read_weights(weights).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelError(f"Model weights do not fit the encoder: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
    model.eval()
    pre = Preprocess(size=int(meta["input_size"]), mean=tuple(meta["mean"]), std=tuple(meta["std"]),
                     grayscale=bool(meta.get("grayscale", False)))
    return LoadedModel(model=model, preprocess=pre, sha256=digest, meta=meta, path=sidecar_path)
