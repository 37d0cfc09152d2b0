"""The peers' pair search: bit distances over packed hashes, dihedral queries."""
import numpy as np

from duplicalt.evaluation.accuracy.baselines import _pack, _within


def test_within_counts_bits_and_takes_the_best_variant():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 256)
    b = a.copy()
    b[:20] ^= 1  # 20 bits apart
    c = rng.integers(0, 2, 256)  # ~128 bits from both
    bits = _pack(np.stack([a, b, c]))
    names = ["a", "b", "c"]
    assert _within(bits, bits[:, None, :], names, 31) == [["a", "b"]]
    assert _within(bits, bits[:, None, :], names, 19) == []
    # PDQ's dihedral queries: a variant of "c" equal to "a" (a rotated copy's hash) pairs them
    order = bits[[2, 0, 1]]  # c, a, b
    queries = np.stack([order, order], axis=1)
    queries[0, 1] = order[1]
    assert _within(order, queries, ["c", "a", "b"], 0) == [["c", "a"]]
