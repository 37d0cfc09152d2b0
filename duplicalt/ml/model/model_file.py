"""Finding and checking the model's files: a JSON sidecar beside safetensors weights.

Torch-free, so a CPU scan that runs the network in ONNX Runtime never imports
torch. Loading never unpickles anything: the weights are safetensors, checked
against the sha256 in the sidecar before they are read.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from duplicalt.ml.model.preprocess import Preprocess

DEFAULT_NAME = "duplicalt-resnet18"
# The shipped model is package data (duplicalt/ml/model/weights/), so an installed
# wheel, a pipx install and the bundled app find it as well as a checkout does.
MODELS_DIR = Path(str(resources.files("duplicalt.ml.model").joinpath("weights")))


class ModelError(RuntimeError):
    """The model is missing, damaged or does not match its sidecar."""


@dataclass(frozen=True)
class ModelFile:
    """A checked sidecar, the path of its weights and their bytes (read once: the
    sha256 is checked on the very bytes the weights are parsed from)."""
    path: Path
    meta: dict
    weights: Path
    sha256: str
    data: bytes = field(default=b"", repr=False)

    @property
    def preprocess(self) -> Preprocess:
        return Preprocess.from_meta(self.meta)

    def with_meta(self, changes: dict) -> "ModelFile":
        """The same weights with sidecar values changed (checked like the sidecar's)."""
        meta = {**self.meta, **changes}
        check_sidecar(meta, self.path)
        return replace(self, meta=meta)

    def state(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays (in their stored dtype)."""
        from safetensors.numpy import load

        try:
            return load(self.data)
        except Exception as exc:  # SafetensorError, a header that is not JSON, ...
            raise ModelError(f"Model weights {self.weights} are not a safetensors file "
                             f"({exc.__class__.__name__}: {exc})") from None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def check_sidecar(meta, path: Path) -> None:
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
    centre = meta.get("centre_pool", 0.0)
    if isinstance(centre, bool) or not isinstance(centre, (int, float)) or \
            not (centre == 0 or 0.2 <= centre < 1):
        raise bad(f'"centre_pool" must be 0 (off) or a share of each side from 0.2 to 1, '
                  f'not {centre!r}')


def read_model_file(spec: str | Path | None = None) -> ModelFile:
    """The sidecar found by ``spec``, checked, with weights whose sha256 it names."""
    sidecar_path = find_model(spec)
    try:
        meta = json.loads(sidecar_path.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelError(f"Model sidecar {sidecar_path} is unreadable: {exc}") from exc
    check_sidecar(meta, sidecar_path)
    weights = sidecar_path.parent / meta["weights"]
    if not weights.is_file():
        raise ModelError(f"Model weights {weights} are missing.")
    try:
        data = weights.read_bytes()
    except OSError as exc:
        raise ModelError(f"Model weights {weights} are unreadable: {exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.get("sha256"):
        raise ModelError(f"Model weights {weights} do not match the sha256 in {sidecar_path.name} "
                         f"(expected {meta.get('sha256')}, got {digest}).")
    return ModelFile(sidecar_path, meta, weights, digest, data)
