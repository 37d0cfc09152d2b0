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


def _options_embedder(tiny_model, **options):
    return load(tiny_model, device="cpu", batch_size=8, workers=1, options=options)


def test_dihedral_pooling_is_invariant_to_rotations_and_mirrors(tiny_model):
    """tta=d8 pools the 8 rotations/mirrors: each of them gives the same vector."""
    from PIL import Image

    emb = _options_embedder(tiny_model, tta="d8")
    plain = _options_embedder(tiny_model)
    img = make_photo(7, (120, 90))
    moves = [Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90,
             Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270, Image.Transpose.TRANSPOSE]
    variants = [img] + [img.transpose(m) for m in moves]
    vecs = emb.embed_arrays([emb.preprocess.to_array(v) for v in variants])
    assert np.abs(vecs - vecs[0]).max() < 1e-4
    raw = plain.embed_arrays([plain.preprocess.to_array(v) for v in variants])
    assert np.abs(raw - raw[0]).max() > 1e-3  # without pooling the random net is not invariant


def test_border_trimming_embeds_a_framed_copy_like_the_original(tiny_model):
    from PIL import ImageOps

    emb = _options_embedder(tiny_model, trim_borders="true")
    img = make_photo(9, (120, 90))
    framed = [ImageOps.expand(img, border=12, fill=(255, 255, 255)),
              ImageOps.expand(img, border=(0, 20, 0, 20), fill=(0, 0, 0)),  # letterbox bars
              ImageOps.expand(img, border=(30, 4, 2, 9), fill=(40, 40, 40))]
    arrays = [emb.preprocess.to_array(x) for x in [img] + framed]
    assert all((a == arrays[0]).all() for a in arrays[1:])
    vecs = emb.embed_arrays(arrays)
    assert np.abs(vecs - vecs[0]).max() < 1e-5


def test_border_trimming_leaves_photos_without_a_frame_alone():
    from PIL import Image

    from duplicalt.ml.model.preprocess import border_box, trim_borders
    img = make_photo(2, (120, 90))
    assert border_box(img) == (0, 0, 120, 90)
    flat = Image.new("RGB", (100, 80), (200, 200, 200))  # all "border": never cut below 30 %
    left, top, right, bottom = border_box(flat)
    assert right - left >= 30 and bottom - top >= 24
    assert trim_borders(img) is img


def test_descriptor_options_are_part_of_the_cache_key(tiny_model):
    ids = {_options_embedder(tiny_model, **o).model_id for o in
           ({}, {"tta": "d8"}, {"tta": "flip"}, {"trim_borders": "true"}, {"gem_p": "3"},
            {"centre_pool": "0.7"})}
    assert len(ids) == 6


def test_an_unknown_option_is_a_clear_error(tiny_model):
    import pytest

    with pytest.raises(ValueError, match="unknown"):
        _options_embedder(tiny_model, tta="d16")
    with pytest.raises(ValueError, match="unknown model option"):
        _options_embedder(tiny_model, colour_jitter="1")
    from duplicalt.ml.model.model_file import ModelError
    with pytest.raises(ModelError, match='"centre_pool" must be 0'):
        _options_embedder(tiny_model, centre_pool="2")


def test_the_sidecar_names_the_descriptor(tiny_model, tmp_path):
    """tta and trim_borders written in a sidecar are what load() uses (no options)."""
    other = tmp_path / "m"
    shutil.copytree(tiny_model.parent, other)
    sidecar = other / tiny_model.name
    meta = json.loads(sidecar.read_text())
    meta.update(tta="flip", trim_borders=True)
    sidecar.write_text(json.dumps(meta))
    emb = load(sidecar, device="cpu")
    assert emb.tta == "flip" and emb.preprocess.trim_borders
    assert emb.model_id.endswith("tta-flip:dec" + emb.model_id.rsplit(":dec", 1)[1])
    assert ":trim1" in emb.model_id


def test_centre_pooling_keeps_the_mirror_and_frame_invariance(tiny_model):
    """The shipped descriptor (trim, then the whole photo and its middle 70 %, each
    mirror-pooled): a mirrored or framed copy gets the same vector; the middle counts."""
    from PIL import ImageOps

    emb = _options_embedder(tiny_model, tta="flip", trim_borders="true", centre_pool="0.7")
    whole = _options_embedder(tiny_model, tta="flip", trim_borders="true")
    assert emb.preprocess.inputs == 2 and emb.preprocess.decode_target == 128
    img = make_photo(5, (160, 120))
    copies = [ImageOps.mirror(img), ImageOps.expand(img, border=16, fill=(255, 255, 255))]
    vecs = emb.embed_arrays([emb.preprocess.to_array(x) for x in [img] + copies])
    assert np.abs(vecs - vecs[0]).max() < 1e-5
    assert np.abs(vecs[0] - whole.embed_arrays([whole.preprocess.to_array(img)])[0]).max() > 1e-3


def test_regions_never_make_a_network_batch_longer(tiny_model, tmp_path):
    from tests.ml.model.test_regions import page
    emb = _options_embedder(tiny_model, regions=6)
    pages = [page([make_photo(10 * k + s, (200, 150)) for s in range(3)])[0] for k in range(4)]
    paths = [save(p, tmp_path / f"page{k}.jpg") for k, p in enumerate(pages)]
    sizes, embed_arrays = [], emb.embed_arrays

    def recording(arrays):
        sizes.append(len(arrays))
        return embed_arrays(arrays)

    emb.embed_arrays = recording
    outs = [o for batch in emb.embed(paths) for o in batch]
    assert all(o.regions is not None and len(o.regions) == 3 for o in outs)
    assert max(sizes) <= emb.batch_size < 4 * 4  # 4 photos and 12 regions in one batch of 8
    from duplicalt.ml.model.embed import decode
    arrays = decode(paths[0], emb.preprocess, regions=6)[0]
    alone = embed_arrays(arrays)  # the photo and its 3 regions in one call
    assert np.abs(outs[0].vector - alone[0]).max() < 1e-4
    assert np.abs(outs[0].regions - alone[1:]).max() < 1e-4
