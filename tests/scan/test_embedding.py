import numpy as np
import pytest

from duplicalt.scan.embedding import pack, stack, unpack


def test_pack_unpack_round_trip():
    vec = np.linspace(-1, 1, 8).astype(np.float32)
    regions = np.arange(16, dtype=np.float32).reshape(2, 8) / 16
    boxes = np.float32([[0, 0, 0.5, 0.5], [0.5, 0.25, 1, 0.75]])
    v, r, b = unpack(pack(vec, regions, boxes), 8)
    assert np.allclose(v, vec, atol=1e-3) and np.allclose(r, regions, atol=1e-3)
    assert np.allclose(b, boxes, atol=1e-3)
    v, r, b = unpack(pack(vec, None, None), 8)
    assert r is None and b is None and v.shape == (8,)


def test_unpack_refuses_a_blob_of_another_shape():
    with pytest.raises(ValueError):
        unpack(np.zeros(8 + 5, np.float16), 8)


def test_stack_gives_each_region_its_photo_row():
    blobs = {3: pack(np.ones(4), None, None),
             7: pack(np.zeros(4), np.ones((2, 4)), np.float32([[0, 0, 1, 1]] * 2)),
             9: pack(np.full(4, 0.5), np.ones((1, 4)), np.float32([[0, 0, 1, 1]]))}
    matrix, regions = stack(blobs, [3, 7, 9], 4)
    assert matrix.shape == (3, 4) and matrix.dtype == np.float16
    assert regions.owner.tolist() == [1, 1, 2] and regions.vectors.shape == (3, 4)
