"""Contrastive losses: NT-Xent (SimCLR) and the KoLeo entropy regulariser (SSCD)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """SimCLR loss for N positive pairs (z1[i], z2[i]); the other 2N-2 views are negatives.

    Cosine similarities over all 2N views, self-similarity excluded, cross-entropy
    towards the partner view, averaged over the 2N anchors.
    """
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2], 0).float(), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


def koleo(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Kozachenko-Leonenko entropy regulariser: -mean log(distance to nearest neighbour).

    Minimising it spreads the (L2-normalised) embeddings of different photos apart.
    """
    z = F.normalize(z.float(), dim=1)
    with torch.no_grad():
        sim = z @ z.T
        sim.fill_diagonal_(-2.0)
        nearest = sim.argmax(dim=1)
    dist = (z - z[nearest]).norm(dim=1)
    return -torch.log(dist + eps).mean()


def pair_stats(e1: torch.Tensor, e2: torch.Tensor) -> dict[str, float]:
    """Retrieval metrics for L2-normalised embeddings where e1[i] and e2[i] are the same photo.

    top1: fraction of e2 whose nearest e1 is its own original; pos/neg: mean cosine of
    matching / non-matching pairs; neg_p99: 99th percentile of non-matching cosines;
    recall_at_neg_p99: fraction of matching pairs above that (a precision-minded recall).
    """
    sim = e2.float() @ e1.float().T
    n = sim.shape[0]
    pos = sim.diagonal()
    off = ~torch.eye(n, dtype=torch.bool, device=sim.device)
    neg = sim[off]
    p99 = torch.quantile(neg, 0.99) if neg.numel() else torch.tensor(1.0)
    return {
        "top1": float((sim.argmax(dim=1) == torch.arange(n, device=sim.device)).float().mean()),
        "pos": float(pos.mean()),
        "neg": float(neg.mean()) if neg.numel() else 0.0,
        "neg_p99": float(p99),
        "recall_at_neg_p99": float((pos > p99).float().mean()),
    }
