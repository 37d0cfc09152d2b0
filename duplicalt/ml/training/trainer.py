"""SimCLR training of the ResNet-18 encoder for near-duplicate retrieval.

Two duplicate-style edits of each photo are pulled together, all other photos in
the batch pushed apart (NT-Xent through a 2-layer MLP head that is discarded at
export). Batches and augmentations are derived from (seed, step) alone, so a
resumed run continues exactly like an uninterrupted one.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import nn

from duplicalt.ml.training.shared_data import REPO_ROOT
from duplicalt.ml.training.augment import MEAN, STD, Augment, AugmentConfig, plain
from duplicalt.ml.training.data import DEFAULT_DATA, load_images, split_holdout
from duplicalt.ml.training.holdout import BENCH_COPIES_FILE, DISTRACTORS_FILE
from duplicalt.ml.model.encoder import ResNet18Encoder
from duplicalt.ml.model.loading import MODELS_DIR
from duplicalt.ml.training.loss import koleo, nt_xent, pair_stats
from duplicalt.ml.training.schedule import JsonLog, jsonable, lr_at, parse_deadline

CENTRE_POOL = 0.7  # the middle's share pooled with the whole photo (MODEL.md's ablation)
HELD_OUT = ("the held-out distractors of both evaluation splits and the training photos found "
            "to be copies of bench originals (duplicalt/ml/training/"
            f"{DISTRACTORS_FILE.name}, {BENCH_COPIES_FILE.name}) are skipped by the loader")


class NonFiniteLoss(RuntimeError):
    pass


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="+", default=[DEFAULT_DATA], help="tar shards / folders / globs")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "runs" / "simclr", help="run directory")
    p.add_argument("--size", type=int, default=64, help="training view size (px)")
    p.add_argument("--cache-size", type=int, default=96, help="decoded-photo cache size (px)")
    p.add_argument("--cache-dir", type=Path, default=REPO_ROOT / "runs" / "cache")
    p.add_argument("--batch-size", type=int, default=256, help="photos per step (2 views each)")
    p.add_argument("--lr", type=float, default=1e-3, help="AdamW peak learning rate")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup", type=float, default=0.05, help="warm-up fraction of the steps")
    p.add_argument("--epochs", type=float, default=None)
    p.add_argument("--steps", type=int, default=None, help="overrides --epochs")
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--koleo", type=float, default=0.0, help="KoLeo weight on trunk embeddings")
    p.add_argument("--width", type=int, default=64, help="encoder width (64 = ResNet-18)")
    p.add_argument("--workers", type=int, default=1, help="augmentation prefetch threads (0 inline)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint.pt")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--export", default=None, metavar="NAME",
                   help="save NAME.safetensors and its sidecar into --models-dir at the end")
    p.add_argument("--models-dir", type=Path, default=MODELS_DIR,
                   help="where --export writes (default: the package's weights folder, "
                        "where the program loads its model from)")
    p.add_argument("--max-images", type=int, default=None, help="use at most this many photos")
    p.add_argument("--val-size", type=int, default=512, help="held-out photos for validation")
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--val-every", type=int, default=200)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--stop-at-step", type=int, default=None,
                   help="checkpoint and stop at this step (the schedule still spans all steps)")
    p.add_argument("--deadline", default=None,
                   help="UTC time (HH:MM or ISO) to stop early, checkpoint and export")


def projection_head(dim: int, hidden: int = 512, out: int = 128) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out))


def pick_device(name: str) -> torch.device:
    from duplicalt.ml.model.torch_engine import choose_device
    return choose_device(name)


class Trainer:
    def __init__(self, args, images: torch.Tensor, log) -> None:
        self.args, self.log = args, log
        self.device = pick_device(args.device)
        self.cuda = self.device.type == "cuda"
        torch.manual_seed(args.seed)
        self.model = ResNet18Encoder(width=args.width).to(self.device, memory_format=torch.channels_last)
        self.head = projection_head(self.model.embedding_dim).to(self.device)
        params = list(self.model.parameters()) + list(self.head.parameters())
        self.opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.cuda)
        self.augment = Augment(AugmentConfig(size=args.size), text_seed=args.seed)
        train_idx, val_idx = split_holdout(images.shape[0], args.val_size, args.seed)
        self.images, self.train_idx = images, train_idx
        self.per_epoch = max(1, len(train_idx) // args.batch_size)
        self.total = args.steps or max(1, round((args.epochs or 1.0) * self.per_epoch))
        self.val = self._val_pairs(images[val_idx]) if len(val_idx) >= 2 else None
        self.step = 0
        self.fitted = False
        self.sec_per_step: float | None = None

    def fit_to_deadline(self, deadline: float | None, sec_per_step: float,
                        reserve: float = 150.0) -> dict | None:
        """Re-size the cosine schedule so it ends before the deadline on a shared CPU.

        Uses a smoothed seconds-per-step with a 10 % margin; never beyond --steps
        (or --epochs), never before the next step. Returns a log record on change.
        """
        if deadline is None or sec_per_step <= 0:
            return None
        ema = self.sec_per_step
        self.sec_per_step = sec_per_step if ema is None else 0.7 * ema + 0.3 * sec_per_step
        cap = self.args.steps or max(1, round((self.args.epochs or 1.0) * self.per_epoch))
        left = max(0.0, deadline - time.time() - reserve)
        fit = min(cap, max(self.step + 1, self.step + int(left / (1.1 * self.sec_per_step))))
        if abs(fit - self.total) <= 0.02 * self.total or (fit > self.total and self.step > 0.9 * self.total):
            return None
        old, self.total, self.fitted = self.total, fit, True
        return {"event": "schedule_fitted", "step": self.step, "old_total": old, "total": fit,
                "sec_per_step": round(self.sec_per_step, 2)}

    def _val_pairs(self, photos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.args.seed + 99991)
        return plain(photos, self.args.size), self.augment(photos, g)

    def batch_indices(self, step: int) -> torch.Tensor:
        epoch, pos = divmod(step, self.per_epoch)
        g = torch.Generator().manual_seed(self.args.seed * 100_003 + epoch)
        perm = torch.randperm(len(self.train_idx), generator=g)
        b = self.args.batch_size
        return self.train_idx[perm[pos * b:(pos + 1) * b]]

    def views(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.args.seed * 1_000_003 + step + 17)
        photos = self.images[self.batch_indices(step)]
        return self.augment(photos, g), self.augment(photos, g)

    def train_step(self, v1: torch.Tensor, v2: torch.Tensor) -> float:
        self.model.train(); self.head.train()
        for group in self.opt.param_groups:
            group["lr"] = lr_at(self.step, self.total, self.args.lr, self.args.warmup)
        x = torch.cat([v1, v2]).to(self.device, non_blocking=True)
        x = x.contiguous(memory_format=torch.channels_last)
        dtype = torch.bfloat16 if self.cuda and torch.cuda.is_bf16_supported() else torch.float16
        with torch.autocast("cuda", dtype=dtype, enabled=self.cuda):
            feats = self.model.features(x)
            z = self.head(feats)
        n = v1.shape[0]
        loss = nt_xent(z[:n], z[n:], self.args.temperature)
        if self.args.koleo:
            loss = loss + self.args.koleo * 0.5 * (koleo(feats[:n]) + koleo(feats[n:]))
        if not torch.isfinite(loss):
            raise NonFiniteLoss(f"loss became {float(loss)} at step {self.step}; "
                                "lower --lr or check the data")
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        self.step += 1
        return loss.item()

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        if self.val is None:
            return {}
        self.model.eval()
        embs = []
        for part in self.val:
            chunks = [self.model(c.to(self.device)) for c in part.split(256)]
            embs.append(torch.cat(chunks).float().cpu())
        return {f"val_{k}": round(v, 4) for k, v in pair_stats(*embs).items()}

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "head": self.head.state_dict(),
                "opt": self.opt.state_dict(), "scaler": self.scaler.state_dict(),
                "step": self.step, "total": self.total, "fitted": self.fitted,
                "args": jsonable(vars(self.args))}

    def load_state(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.head.load_state_dict(state["head"])
        self.opt.load_state_dict(state["opt"])
        self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.fitted = bool(state.get("fitted"))
        if self.fitted:  # a deadline had re-sized the schedule: keep its length
            self.total = int(state["total"])

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save(self.state(), tmp)
        tmp.replace(path)


def run_loop(tr: Trainer, log: JsonLog, deadline: float | None) -> dict:
    """Train until the last step (or the deadline); returns the last logged record."""
    a = tr.args
    pool = ThreadPoolExecutor(a.workers) if a.workers > 0 else None
    fetch = (lambda s: pool.submit(tr.views, s)) if pool else (lambda s: tr.views(s))
    pending = {s: fetch(s) for s in range(tr.step, min(tr.total, tr.step + max(1, a.workers)))}
    t0, seen, losses, last = time.time(), 0, [], {}
    try:
        while tr.step < tr.total:
            s = tr.step
            item = pending.pop(s, None) or fetch(s)
            v1, v2 = item.result() if pool else item
            if s + len(pending) + 1 < tr.total:
                pending[s + len(pending) + 1] = fetch(s + len(pending) + 1)
            losses.append(tr.train_step(v1, v2))
            seen += v1.shape[0]
            end = (tr.step >= tr.total or tr.step == a.stop_at_step
                   or bool(deadline and time.time() > deadline))
            epoch_end = tr.step % tr.per_epoch == 0
            if tr.step % a.log_every == 0 or end or epoch_end or tr.step % a.val_every == 0:
                rate = seen / max(1e-9, time.time() - t0)
                fitted = tr.fit_to_deadline(deadline, a.batch_size / max(rate, 1e-9))
                last = {"step": tr.step, "epoch": round(tr.step / tr.per_epoch, 3),
                        "loss": round(sum(losses) / len(losses), 4), "lr": tr.opt.param_groups[0]["lr"],
                        "images_per_s": round(rate, 1), "views_per_s": round(2 * rate, 1)}
                if end or epoch_end or tr.step % a.val_every == 0:
                    last.update(tr.validate())
                log(last)
                if fitted:
                    log(fitted)
                t0, seen, losses = time.time(), 0, []
            if tr.step % a.ckpt_every == 0 or end:
                tr.save(a.out / "checkpoint.pt")
            if end:
                break
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
    return last


def export(tr: Trainer, last: dict, data: list[str], n_images: int) -> Path:
    from duplicalt.ml.model.loading import save_model

    meta = {"input_size": tr.args.size, "mean": list(MEAN), "std": list(STD),
            # the inference descriptor chosen on the calibration split (MODEL.md's ablation)
            "grayscale": True, "trim_borders": True, "tta": "flip", "centre_pool": CENTRE_POOL,
            "training_data": [Path(d).name for d in data],  # names only: no machine's paths
            "training_images": n_images, "held_out": HELD_OUT,
            "epochs": round(tr.step / tr.per_epoch, 3), "steps": tr.step,
            "images_per_s": last.get("images_per_s"),
            "validation": {k: v for k, v in last.items() if k.startswith("val_")},
            "recipe": {"method": "SimCLR NT-Xent", "temperature": tr.args.temperature,
                       "batch_size": tr.args.batch_size, "lr": tr.args.lr, "koleo": tr.args.koleo,
                       "train_size": tr.args.size, "optimizer": "AdamW, warm-up + cosine",
                       "seed": tr.args.seed}}
    return save_model(tr.model.float().cpu().eval(), tr.args.models_dir, tr.args.export, meta)


def load_checkpoint(path: Path, device) -> dict:
    """A training checkpoint: tensors and plain values only (nothing pickled runs)."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        raise ValueError(f"cannot resume from {path}: not a readable checkpoint ({exc})") from exc


def main(args) -> int:
    torch.set_num_threads(max(1, args.threads))
    args.out.mkdir(parents=True, exist_ok=True)
    log = JsonLog(args.out / "log.jsonl")
    ckpt = args.out / "checkpoint.pt"
    try:
        images = load_images(args.data, args.cache_size, args.cache_dir, args.max_images,
                             threads=args.threads, log=lambda m: print(m, file=sys.stderr))
        tr = Trainer(args, images, log)
        if args.resume:
            if not ckpt.is_file():
                print(f"duplicalt train: error: --resume but {ckpt} does not exist", file=sys.stderr)
                return 2
            tr.load_state(load_checkpoint(ckpt, tr.device))
        log({"event": "start", "step": tr.step, "total_steps": tr.total, "photos": images.shape[0],
             "steps_per_epoch": tr.per_epoch, "device": str(tr.device), "args": jsonable(vars(args))})
        last = run_loop(tr, log, parse_deadline(args.deadline))
    except (FileNotFoundError, ValueError, NonFiniteLoss) as exc:
        print(f"duplicalt train: error: {exc}", file=sys.stderr)
        return 1
    if args.export:
        path = export(tr, last, [str(d) for d in args.data], images.shape[0])
        log({"event": "exported", "path": str(path)})
    log({"event": "done", "step": tr.step})
    return 0
