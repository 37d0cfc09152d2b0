import zlib
import struct

import numpy as np
import pytest
from PIL import Image

from duplicalt.photos.decode import (UnreadableImage, draft_scale, load_photo, same_decode,
                                     sniff_file)
from tests.sample_photos import make_photo, save


def with_orientation(img: Image.Image, path, orientation: int):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = "2021:05:01 10:20:30"
    img.save(path, exif=exif.tobytes(), quality=95)
    return path


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (80, 40), "white")
    img.paste((255, 0, 0), (0, 0, 20, 40))  # red stripe on the left
    # Orientation 6: the viewer must rotate 90 deg clockwise -> red ends up on top.
    path = with_orientation(img, tmp_path / "o6.jpg", 6)
    out, info = load_photo(path)
    assert out.size == (40, 80) and (info.width, info.height) == (40, 80)
    arr = np.asarray(out).astype(int)
    assert arr[2, 20, 0] > 200 and arr[2, 20, 1] < 80  # top row is red
    assert arr[-3, 20, 1] > 200  # bottom is white
    assert info.taken == "2021-05-01 10:20:30"


def test_all_orientations_upright(tmp_path):
    ref = make_photo(3, (64, 48))
    ops = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
           4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
           6: [Image.Transpose.ROTATE_90], 7: [Image.Transpose.TRANSVERSE],
           8: [Image.Transpose.ROTATE_270]}
    for o, chain in ops.items():
        stored = ref
        for op in chain:  # stored pixels = inverse of what the tag asks the viewer to do
            stored = stored.transpose(op)
        out, _ = load_photo(with_orientation(stored, tmp_path / f"{o}.jpg", o))
        diff = np.abs(np.asarray(out, float) - np.asarray(ref, float)).mean()
        assert out.size == ref.size and diff < 12, (o, diff)


def test_draft_decodes_jpeg_reduced(tmp_path):
    path = save(make_photo(1, (1600, 1200)), tmp_path / "big.jpg", quality=90)
    img, info = load_photo(path, target=112)
    assert (info.width, info.height) == (1600, 1200)  # metadata is the real size
    assert 112 <= min(img.size) and img.size[0] <= 1600 // 4  # decoded at 1/8 (200x150)
    full, _ = load_photo(path)
    assert full.size == (1600, 1200)


@pytest.mark.parametrize("data,needle", [
    (b"", "empty file"),
    (b"hello, I am a text file\n", "recognised"),
])
def test_bad_bytes(tmp_path, data, needle):
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    with pytest.raises(UnreadableImage, match=needle):
        load_photo(path)


def test_truncated_jpeg(tmp_path):
    path = save(make_photo(2, (400, 300)), tmp_path / "t.jpg", quality=90)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnreadableImage, match="truncated"):
        load_photo(path, target=64)


def tiny_huge_png(path, side: int):
    """A valid PNG header for side x side pixels with a tiny compressed body."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    raw = zlib.compress(b"\x00" * (side // 8 + 1) * 64, 9)  # far too little data: never decoded
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return path


def test_decompression_bomb_refused(tmp_path):
    path = tiny_huge_png(tmp_path / "bomb.png", 20_000)
    assert path.stat().st_size < 10_000
    with pytest.raises(UnreadableImage, match="too large"):
        load_photo(path)


def test_alpha_on_white_and_16bit(tmp_path):
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out, _ = load_photo(save(rgba, tmp_path / "a.png"))
    assert np.asarray(out).min() == 255
    arr = (np.arange(100, dtype=np.uint16).reshape(10, 10) * 600)
    out16, _ = load_photo(save(Image.fromarray(arr), tmp_path / "g16.png"))
    assert out16.mode == "RGB" and np.asarray(out16).max() == 255


def test_sniff_by_content_not_extension(tmp_path):
    jpeg_named_png = save(make_photo(4), tmp_path / "really_jpeg.png", format="JPEG")
    assert sniff_file(jpeg_named_png) == "jpeg"
    for fmt, ext in [("PNG", "png"), ("GIF", "gif"), ("WEBP", "webp"), ("BMP", "bmp"),
                     ("TIFF", "tif"), ("AVIF", "avif")]:
        path = save(make_photo(5), tmp_path / f"p.{ext}", format=fmt)
        assert sniff_file(path) == ext.replace("tif", "tiff"), fmt
        load_photo(path)


def test_heic_decodes(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    heif = pillow_heif.from_pillow(make_photo(6))
    path = tmp_path / "p.heic"
    heif.save(str(path), quality=90)
    assert sniff_file(path) == "heif"
    img, info = load_photo(path)
    assert img.size == (96, 72) and info.format.upper() == "HEIF"


@pytest.mark.parametrize("size", [(200, 150), (700, 500), (1300, 1000), (2600, 2552),
                                  (2560, 2600), (4032, 3024), (3024, 4032)])
def test_draft_scale_is_pillows_and_same_decode_means_same_pixels(tmp_path, size):
    rng = np.random.default_rng(size[0])
    small = rng.integers(0, 255, (size[1] // 8 + 1, size[0] // 8 + 1, 3), dtype=np.uint8)
    path = tmp_path / "p.jpg"
    Image.fromarray(small).resize(size, Image.BILINEAR).save(path, quality=85)
    decoded = {}
    for target in (64, 320):
        img, _ = load_photo(path, target=target)
        s = draft_scale(size, target)
        assert img.size == ((size[0] + s - 1) // s, (size[1] + s - 1) // s)
        decoded[target] = np.asarray(img)
    same = decoded[64].shape == decoded[320].shape and (decoded[64] == decoded[320]).all()
    assert same_decode("JPEG", size, 64, 320) == same
    assert same_decode("PNG", size, 64, 320)


def test_mpo_is_draft_decoded_like_jpeg(tmp_path):
    """Multi-picture JPEGs (phone photos with a gain map or depth picture) open
    as MPO in Pillow; they are drafted like any JPEG, upright, first picture."""
    main = make_photo(4, (1600, 1200))
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    main.save(path, format="MPO", save_all=True, append_images=[main.resize((160, 120))],
              quality=90, exif=exif.tobytes())
    img, info = load_photo(path, target=64)
    assert info.format == "MPO" and (info.width, info.height) == (1200, 1600)
    assert img.size == (150, 200)  # 1/8 scale, then turned upright
    full, _ = load_photo(path)
    small = np.asarray(full.resize(img.size, Image.BILINEAR), float)
    assert np.abs(np.asarray(img, float) - small).mean() < 12
    assert same_decode("MPO", (4032, 3024), 64, 320) and not same_decode("MPO", (700, 500), 64, 320)
