"""The embedder on torch: CUDA (fp16 autocast), Apple MPS, or the CPU in bf16
(or fp32 when asked for). The batch norms are folded in at load."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from duplicalt.ml.model.embed import BatchEmbedder
from duplicalt.ml.model.encoder import fuse_batchnorm
from duplicalt.ml.model.loading import build_encoder
from duplicalt.ml.model.model_file import ModelFile


def dihedral_views(x: torch.Tensor, mode: str) -> list[torch.Tensor]:
    """The batch under the identity (``none``), and its mirror (``flip``), or all
    8 rotations/mirrors (``d8``): pooling over the whole group makes the vector
    invariant to it by construction (the squeeze to a square commutes with them)."""
    if mode == "none":
        return [x]
    views = [x, x.flip(3)]
    if mode == "d8":
        views += [torch.rot90(v, k, (2, 3)) for k in (1, 2, 3) for v in (x, x.flip(3))]
    return [v.contiguous(memory_format=torch.channels_last) for v in views]


def choose_device(requested: str | None = "auto") -> torch.device:
    """CUDA, else Apple MPS, else CPU; an explicit request is checked."""
    req = (requested or "auto").lower()
    if req == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if req.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is available")
    if req == "mps" and not (getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available()):
        raise ValueError("--device mps was asked for, but MPS is not available")
    if req not in ("cpu", "mps") and not req.startswith("cuda"):
        raise ValueError(f"unknown device {requested!r}: use auto, cpu, cuda or mps")
    return torch.device(req)


def bf16_supported() -> bool:
    cpu = getattr(torch, "cpu", None)
    check = getattr(cpu, "_is_avx512_bf16_supported", None)
    return bool(check and check())


class TorchEmbedder(BatchEmbedder):
    engine = "torch"

    def __init__(self, found: ModelFile, device: str | None = "auto",
                 batch_size: int = 32, workers: int | None = None,
                 threads: int | None = None, precision: str = "fp32") -> None:
        super().__init__(found, batch_size, workers, threads)
        self.device = choose_device(device)
        self.model = fuse_batchnorm(build_encoder(found).to(self.device))
        if self.device.type != "mps":
            self.model = self.model.to(memory_format=torch.channels_last)
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"unknown precision {precision!r}: use fp32 or bf16")
        if precision == "bf16" and self.device.type == "cpu" and not bf16_supported():
            raise ValueError("--precision bf16 needs a CPU with AVX512-BF16/AMX")
        self.precision = precision
        if precision == "bf16":  # a faster model is a different model: its own cache rows
            self.model_id = f"{self.model_id}+bf16"

    @torch.inference_mode()
    def embed_arrays(self, arrays: list[np.ndarray]) -> np.ndarray:
        x = self.preprocess.batch(arrays).to(self.device, non_blocking=True)
        if self.device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.float16):
                return self._pooled(x).cpu().numpy()
        before = torch.get_num_threads()
        if self.device.type == "cpu" and before != self.threads:
            torch.set_num_threads(self.threads)  # per call: set in the thread that infers
        try:
            if self.precision == "bf16":
                with torch.autocast(self.device.type, dtype=torch.bfloat16):
                    return self._pooled(x).cpu().numpy()
            return self._pooled(x).cpu().numpy()
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)

    def _pooled(self, x: torch.Tensor) -> torch.Tensor:
        """One L2-normalised vector per photo: the mean of the embeddings of its
        test-time views (the identity alone, or the dihedral orbit), normalised; with
        a centre input, the sum of the whole photo's and the centre's, normalised."""
        views, inputs = dihedral_views(x, self.tta), self.preprocess.inputs
        out = self.model(torch.cat(views)).float()
        pooled = F.normalize(out.view(len(views), x.shape[0] // inputs, inputs, -1).mean(0),
                             dim=-1)
        return pooled[:, 0] if inputs == 1 else F.normalize(pooled.sum(1), dim=-1)
