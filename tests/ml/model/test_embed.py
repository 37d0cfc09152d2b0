import json
import shutil

import numpy as np

from duplicalt.ml.model.embed import load
from tests.sample_photos import make_photo, save


def test_input_size_is_part_of_the_cache_key(tiny_model, tmp_path):
    """Same weights, other preprocessing: other vectors, so another cache key."""
    other = tmp_path / "m"
    shutil.copytree(tiny_model.parent, other)
    sidecar = other / tiny_model.name
    meta = json.loads(sidecar.read_text())
    meta["input_size"] = 96
    sidecar.write_text(json.dumps(meta))
    a, b = load(tiny_model, device="cpu"), load(sidecar, device="cpu")
    assert a.model_id != b.model_id and a.model_id.startswith(meta["sha256"])


def test_embed_yields_every_index_once_with_errors(tiny_embedder, tmp_path):
    paths = [save(make_photo(k, (120, 90)), tmp_path / f"{k}.jpg") for k in range(5)]
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff broken")
    outs = [o for batch in tiny_embedder.embed(paths + [bad]) for o in batch]
    assert sorted(o.index for o in outs) == list(range(6))
    vecs = [o.vector for o in outs if o.vector is not None]
    assert len(vecs) == 5 and all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vecs)
    assert outs[-1].error and outs[-1].vector is None


def test_grayscale_preprocessing_ignores_colour():
    from PIL import ImageOps

    from duplicalt.ml.model.preprocess import Preprocess
    img = make_photo(4, (120, 90))
    gray = ImageOps.grayscale(img).convert("RGB")
    pre = Preprocess(size=32, grayscale=True)
    assert (pre.to_array(img) == pre.to_array(gray)).all()
    assert not (Preprocess(size=32).to_array(img) == Preprocess(size=32).to_array(gray)).all()


def test_embed_shows_each_decoded_photo_to_keep(tiny_embedder, tmp_path):
    """The pair matcher's hook sees every photo the embedder decodes (at the
    embedder's target); a failing hook loses no vector."""
    paths = [save(make_photo(k, (120, 90)), tmp_path / f"{k}.jpg") for k in range(3)]
    seen = []

    def keep(path, img, info, target):
        seen.append((path, img.size, info.width, target))
        raise RuntimeError("a broken hook")

    outs = [o for batch in tiny_embedder.embed(paths, keep=keep) for o in batch]
    assert all(o.vector is not None for o in outs) and len(outs) == 3
    assert sorted(seen) == [(p, (120, 90), 120, tiny_embedder.preprocess.size) for p in paths]
