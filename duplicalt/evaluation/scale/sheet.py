"""Contact sheets of photo pairs, for looking at what a scan grouped (Pillow only)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw

from duplicalt.photos.decode import load_photo

THUMB = 150
COLUMNS = 4  # pairs per row


def _thumb(path: Path) -> Image.Image:
    try:
        img, _ = load_photo(path, target=THUMB)
    except Exception:  # unreadable: a grey square, the sheet still shows the pair
        return Image.new("RGB", (THUMB, THUMB), (128, 128, 128))
    img = img.convert("RGB")
    img.thumbnail((THUMB, THUMB))
    return img


def contact_sheet(root: Path, pairs: Sequence[tuple[str, str]], out: Path,
                  first_number: int = 0) -> Path:
    """A PNG of ``pairs`` (paths relative to ``root``), numbered from
    ``first_number``, ``COLUMNS`` pairs to a row, each pair side by side."""
    cell_w, cell_h = 2 * THUMB + 24, THUMB + 22
    rows = max(1, -(-len(pairs) // COLUMNS))
    sheet = Image.new("RGB", (COLUMNS * cell_w, rows * cell_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for n, (a, b) in enumerate(pairs):
        x, y = (n % COLUMNS) * cell_w, (n // COLUMNS) * cell_h
        for k, rel in enumerate((a, b)):
            sheet.paste(_thumb(root / rel), (x + 4 + k * (THUMB + 4), y + 18))
        draw.rectangle((x, y, x + cell_w - 8, y + cell_h - 1), outline=(200, 200, 200))
        draw.text((x + 4, y + 3), f"#{first_number + n}", fill=(200, 0, 0))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
