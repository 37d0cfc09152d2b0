"""Recognising and decoding photos with Pillow: content sniffing, EXIF
orientation, draft (reduced) JPEG decoding, decompression-bomb limits."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from duplicalt.photos.types import PhotoInfo

try:  # HEIC/HEIF through pillow-heif; AVIF is native in Pillow >= 11.3
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - optional at run time
    pillow_heif = None

# Formats decoded in draft mode (1/2..1/8 scale DCT) when a target size is given:
# JPEG and MPO (a JPEG with extra pictures: many phones' HDR gain maps, depth).
DRAFTED = frozenset({"JPEG", "MPO"})
DECODE_VERSION = 2  # part of embedding cache keys: 2 = MPO drafted like JPEG
MAX_PIXELS = 200_000_000  # larger than any camera; a 20k x 20k bomb is refused
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow errors at 2x this on its own too

PHOTO_EXTENSIONS = frozenset(
    ".jpg .jpeg .jpe .jfif .png .gif .webp .bmp .dib .tif .tiff .heic .heif .hif .avif "
    ".pgm .ppm .pbm .pnm .svg .ico .jxl".split()
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class UnreadableImage(Exception):
    """A file that cannot be used as a photo; the message is the user-facing reason."""


def sniff(head: bytes) -> str | None:
    """The photo format of a file from its first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and len(head) >= 14:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
    if len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"123456" and head[2:3].isspace():
        return "netpbm"
    return None


def sniff_file(path: Path) -> str | None:
    with open(path, "rb") as f:
        return sniff(f.read(32))


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1..8; 1 when absent or malformed)."""
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # malformed EXIF must not make the photo unreadable
        return 1


def _taken(img: Image.Image) -> str | None:
    try:
        exif = img.getexif()
        value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    except Exception:
        return None
    if not value:
        return None
    text = str(value).strip().replace("\x00", "")
    if len(text) >= 19 and text[4] == ":" and text[7] == ":":
        text = text[:4] + "-" + text[5:7] + "-" + text[8:10] + text[10:19]
    return text or None


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB on a white background; 16-bit and float images scaled to 8 bits."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float32)
        top = float(arr.max()) or 1.0
        img = Image.fromarray(np.rint(arr * (255.0 / top)).clip(0, 255).astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img if img.mode == "RGB" else img.convert("RGB")


def load_photo(path: Path, target: int | None = None,
               max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, PhotoInfo]:
    """Decode a photo upright in RGB. With ``target``, JPEGs are decoded in draft
    mode at the smallest scale still >= target on both sides (never full size).

    Raises UnreadableImage with a human reason for anything that is not a usable photo.
    """
    try:
        return _load(path, target, max_pixels)
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage(f"too large to decode safely ({exc})") from exc
    except UnidentifiedImageError:
        raise UnreadableImage("not a recognised image format") from None
    except PermissionError:
        raise UnreadableImage("permission denied") from None
    except FileNotFoundError:
        raise UnreadableImage("file vanished during the scan") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        text = str(exc) or exc.__class__.__name__
        if "truncated" in text.lower():
            raise UnreadableImage(f"truncated file ({text})") from exc
        raise UnreadableImage(f"corrupt or unsupported image ({text})") from exc
    except MemoryError as exc:
        raise UnreadableImage("too large to decode (out of memory)") from exc


def _load(path: Path, target: int | None, max_pixels: int) -> tuple[Image.Image, PhotoInfo]:
    if path.stat().st_size == 0:
        raise UnreadableImage("empty file (0 bytes)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise UnreadableImage(
                    f"too large to decode safely ({width}x{height} = "
                    f"{width * height / 1e6:.0f} MP, limit {max_pixels / 1e6:.0f} MP)")
            fmt = img.format or "unknown"
            orientation = exif_orientation(img)
            taken = _taken(img)
            if target and fmt in DRAFTED:
                img.draft("RGB", (target, target))
            img.load()
            out = _to_rgb(img)
    if orientation != 1:
        out.info["exif"] = b""
        out = upright(out, orientation)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return out, PhotoInfo(width=width, height=height, format=fmt, taken=taken)


_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def upright(img: Image.Image, orientation: int | None = None) -> Image.Image:
    """``img`` turned upright for an EXIF ``orientation`` (read from ``img`` when
    not given): the one EXIF-orientation rule of the program, decoder and training."""
    if orientation is None:
        orientation = exif_orientation(img)
    for op in _TRANSPOSE.get(orientation, []):
        img = img.transpose(op)
    return img


def draft_scale(size: tuple[int, int], target: int | None) -> int:
    """The reduction (1, 2, 4 or 8) ``load_photo(target=...)`` decodes a JPEG of
    ``size`` at: the largest whose result is still >= target on both sides
    (Pillow's JpegImageFile.draft rule; tests/core/test_imageio checks it)."""
    if not target:
        return 1
    scale = min(size[0] // target, size[1] // target)
    return next(s for s in (8, 4, 2, 1) if scale >= s or s == 1)


def same_decode(fmt: str, size: tuple[int, int], a: int | None, b: int | None) -> bool:
    """Whether ``load_photo`` gives the same pixels for targets ``a`` and ``b``:
    always for formats it decodes whole, for JPEGs when both pick one scale."""
    return fmt not in DRAFTED or draft_scale(size, a) == draft_scale(size, b)


def thumbnail(path: Path, size: int) -> Image.Image:
    """An upright RGB thumbnail fitting size x size (for the window and reports)."""
    img, _ = load_photo(path, target=size)
    img.thumbnail((size, size), Image.LANCZOS)
    return img


__all__ = ["PHOTO_EXTENSIONS", "UnreadableImage", "draft_scale", "exif_orientation", "load_photo",
           "same_decode", "sniff", "sniff_file", "thumbnail", "upright"]
