import math

import torch

from duplicalt.ml.training.loss import koleo, nt_xent, pair_stats


def reference_nt_xent(z1, z2, t):
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    n2 = z.shape[0]
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        num = math.exp(float(z[i] @ z[j]) / t)
        den = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(n2) if k != i)
        total += -math.log(num / den)
    return total / n2


def test_nt_xent_matches_loop_reference():
    g = torch.Generator().manual_seed(0)
    for n, d, t in [(1, 3, 0.5), (4, 8, 0.1), (7, 16, 0.2)]:
        z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
        assert abs(float(nt_xent(z1, z2, t)) - reference_nt_xent(z1, z2, t)) < 1e-4


def test_nt_xent_low_for_aligned_pairs_and_has_gradients():
    g = torch.Generator().manual_seed(1)
    z1 = torch.randn(8, 32, generator=g, requires_grad=True)
    aligned = nt_xent(z1, z1.detach() + 0.01, 0.1)
    random = nt_xent(z1, torch.randn(8, 32, generator=g), 0.1)
    assert aligned < random
    aligned.backward()
    assert torch.isfinite(z1.grad).all()


def test_koleo_prefers_spread_embeddings():
    g = torch.Generator().manual_seed(2)
    spread = torch.eye(8)
    clumped = torch.ones(8, 8) + 0.01 * torch.randn(8, 8, generator=g)
    assert koleo(spread) < koleo(clumped)


def test_pair_stats_perfect_and_random():
    e = torch.nn.functional.normalize(torch.randn(20, 16), dim=1)
    s = pair_stats(e, e)
    assert s["top1"] == 1.0 and abs(s["pos"] - 1.0) < 1e-5 and s["recall_at_neg_p99"] == 1.0
