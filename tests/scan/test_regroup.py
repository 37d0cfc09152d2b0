"""Regrouping at a lower threshold verifies the new pairs cancellably: a stopped
regroup groups what it checked, and the next one checks only the rest."""
import threading

import numpy as np
from PIL import ImageEnhance

from duplicalt.pairing.verification import UNVERIFIED, accepted
from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import needs_verification, regroup
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


class CountingVerifier:
    """Accepts every pair; counts the pairs it is asked about; can set a cancel
    event after its first batch (the user pressing Stop mid-way)."""

    name = "counting-v1"

    def __init__(self, cancel: threading.Event | None = None):
        self.checked, self.cancel = [], cancel

    def verify(self, pairs):
        self.checked += pairs
        if self.cancel is not None:
            self.cancel.set()
        return [30] * len(pairs)

    def accepts(self, score, similarity):
        return score >= 15


def burst(tmp_path, n=40):
    """``n`` near-identical shots (small brightness steps): many close pairs."""
    base = make_photo(3, (160, 120))
    root = tmp_path / "burst"
    for k in range(n):
        save(ImageEnhance.Brightness(base).enhance(0.8 + k * 0.01), root / f"s_{k:02d}.jpg")
    return root


def pair_set(result):
    return {frozenset((int(a), int(b))) for a, b in zip(result.pairs.i, result.pairs.j)}


def test_a_cancelled_regroup_shows_what_it_checked_and_the_next_resumes(tmp_path):
    root = burst(tmp_path)
    first = scan(root, PixelEmbedder(), 1.01, cache=Cache(None), verifier=CountingVerifier())
    assert first.pairs is not None and len(first.pairs.i) == 0  # nothing that close
    cancel = threading.Event()
    stopping = CountingVerifier(cancel)
    first = type(first)(**{**first.__dict__, "verifier": stopping})
    part = regroup(first, 0.5, cancel=cancel)
    todo = int((part.pairs.scores == UNVERIFIED).sum())
    assert len(stopping.checked) == 64 and todo == len(part.pairs.i) - 64 > 0  # one batch
    assert len(accepted(part.pairs.at(0.5), stopping).i) == 64  # only checked pairs count
    grouped = {m.entry.path for g in part.similar for m in g.members}
    assert grouped and grouped <= {p for pair in stopping.checked for p in pair}
    assert needs_verification(part, 0.5)
    stopping.cancel = None
    whole = regroup(part, 0.5)
    assert len(stopping.checked) == len(part.pairs.i)  # the rest, each pair once
    assert not needs_verification(whole, 0.5) and not (whole.pairs.scores == UNVERIFIED).any()
    fresh_v = CountingVerifier()
    fresh = regroup(type(first)(**{**first.__dict__, "verifier": fresh_v}), 0.5)
    assert pair_set(fresh) == pair_set(whole)
    assert [len(g.members) for g in fresh.similar] == [len(g.members) for g in whole.similar]


def test_a_higher_threshold_checks_only_the_pairs_it_needs(tmp_path):
    root = burst(tmp_path)
    base = scan(root, PixelEmbedder(), 1.01, cache=Cache(None), verifier=CountingVerifier())
    cancel = threading.Event()
    v = CountingVerifier(cancel)
    part = regroup(type(base)(**{**base.__dict__, "verifier": v}), 0.5, cancel=cancel)
    v.cancel, before = None, len(v.checked)
    high = float(np.quantile(part.pairs.sim, 0.8))
    left_above = int(((part.pairs.scores == UNVERIFIED) & (part.pairs.sim >= high - 1e-6)).sum())
    regroup(part, high)
    assert len(v.checked) - before == left_above  # not the ones below ``high``
