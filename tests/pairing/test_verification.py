import numpy as np

from duplicalt.photos.cache import Cache
from duplicalt.pairing.grouping import neighbour_pairs
from duplicalt.scan.pipeline import scan
from duplicalt.scan.regroup import regroup
from duplicalt.pairing.verification import INCONCLUSIVE, accepted, merge_scores
from tests.scan.fake_embedder import PixelEmbedder
from tests.sample_photos import make_photo, save


class NameVerifier:
    """Accepts a pair when both names share the prefix before '_' (a stand-in matcher)."""

    name = "names-v1"

    def __init__(self):
        self.checked = []

    def verify(self, pairs):
        self.checked += pairs
        return [30 if a.name.split("_")[0] == b.name.split("_")[0] else 2 for a, b in pairs]

    def accepts(self, score, similarity):
        return score >= 15 if score >= 0 else similarity >= 0.99


def folder(tmp_path):
    root = tmp_path / "p"
    base = make_photo(7, (200, 150))
    save(base, root / "a_1.jpg", quality=95)
    save(base.resize((100, 75)), root / "a_2.jpg")
    save(base.rotate(3), root / "b_1.jpg")  # similar pixels, but the verifier says no
    return root


def test_verifier_filters_and_is_cached(tmp_path):
    root = folder(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    v = NameVerifier()
    r = scan(root, PixelEmbedder(), 0.8, cache=cache, verifier=v)
    groups = [sorted(m.entry.path.name for m in g.members) for g in r.similar]
    assert groups == [["a_1.jpg", "a_2.jpg"]]
    assert len(v.checked) == len(r.pairs.i) >= 2
    again = NameVerifier()
    scan(root, PixelEmbedder(), 0.8, cache=cache, verifier=again)
    assert again.checked == []  # answered by the cache
    plain = scan(root, PixelEmbedder(), 0.8, cache=cache)
    assert len(plain.similar[0].members) == 3  # without the verifier all three group


def test_regroup_lower_verifies_only_new_pairs(tmp_path):
    root = folder(tmp_path)
    v = NameVerifier()
    r = scan(root, PixelEmbedder(), 0.99, cache=Cache(None), verifier=v)
    first = len(v.checked)
    lower = regroup(r, 0.5)
    assert len(v.checked) - first == len(lower.pairs.i) - len(r.pairs.i)
    assert [sorted(m.entry.path.name for m in g.members) for g in lower.similar] == \
        [["a_1.jpg", "a_2.jpg"]]


def test_inconclusive_falls_back_on_similarity():
    v = np.eye(3, dtype=np.float32)[[0, 0, 1]] + np.float32([[0, 0, 0], [0, .05, 0], [0, 0, 0]])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    pairs = neighbour_pairs(v, 0.5)
    scored = merge_scores(pairs, pairs.subset(np.ones(len(pairs.i), bool)))
    assert scored.scores is None  # nothing known yet
    from dataclasses import replace
    scored = replace(pairs, scores=np.array([INCONCLUSIVE], np.int32))
    assert len(accepted(scored, NameVerifier()).i) == 1  # cos 0.9988 >= 0.99


def test_nearest_keeps_top_k_partners_of_either_photo():
    from duplicalt.pairing.grouping import Pairs
    from duplicalt.pairing.verification import nearest
    rng = np.random.default_rng(0)
    n = 12
    i, j = np.triu_indices(n, 1)  # a dense clique: every photo close to every other
    sim = rng.uniform(0.5, 1.0, len(i)).astype(np.float32)
    kept = nearest(Pairs(i, j, sim, 0.5, n), k=3)
    assert len(kept.i) < len(i) / 2
    rank = {}
    for node in range(n):  # the rank of each partner in node's list, by similarity
        mine = sorted(((s, a if b == node else b) for a, b, s in zip(i, j, sim) if node in (a, b)),
                      reverse=True)
        rank[node] = {other: r for r, (_, other) in enumerate(mine)}
    kept_set = set(zip(kept.i.tolist(), kept.j.tolist()))
    for a, b in zip(i.tolist(), j.tolist()):
        assert ((a, b) in kept_set) == (rank[a][b] < 3 or rank[b][a] < 3)


def test_scan_hands_the_embedders_decodes_to_the_matcher(tmp_path):
    """With the ORB matcher, a scan decodes each photo once: the matcher scores
    candidate pairs from the copies the embedder's decode left it."""
    from duplicalt.ml.matcher import OrbMatcher
    root = tmp_path / "p"
    base = make_photo(7, (320, 240))
    save(base, root / "a.png")
    save(base.crop((10, 10, 300, 230)), root / "b.png")
    save(base.rotate(90, expand=True), root / "c.png")
    m = OrbMatcher()
    result = scan(root, PixelEmbedder(), 0.0, verifier=m)
    assert len(result.pairs.i) >= 2 and (result.pairs.scores >= 0).all()
    assert m.decoded == 0
    own = OrbMatcher(kept_mb=0)  # keeps nothing: decodes every photo itself
    plain = scan(root, PixelEmbedder(), 0.0, verifier=own)
    assert (plain.pairs.scores == result.pairs.scores).all() and own.decoded == 3


class BarVerifier(NameVerifier):
    """Says NOT_JUDGED below a similarity bar, like the matcher for plain pairs."""

    name = "bar-v1"

    def verify_similar(self, pairs, sims):
        from duplicalt.pairing.verification import NOT_JUDGED
        answers = self.verify(pairs)
        return [NOT_JUDGED if s < 0.999 else a for a, s in zip(answers, sims)]


def test_not_judged_pairs_stay_out_of_the_cache(tmp_path):
    root = folder(tmp_path)
    cache = Cache(tmp_path / "c.sqlite")
    v = BarVerifier()
    r = scan(root, PixelEmbedder(), 0.8, cache=cache, verifier=v)
    not_judged = r.pairs.sim < 0.999
    assert not_judged.any()
    assert (r.pairs.scores[not_judged] == INCONCLUSIVE).all()  # never accepted (sim < 0.99)
    again = BarVerifier()
    scan(root, PixelEmbedder(), 0.8, cache=cache, verifier=again)
    assert len(again.checked) == int(not_judged.sum())  # asked again: they were not cached
