"""Screenshots of the real window for the README (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py
    QT_SCALE_FACTOR=2 xvfb-run -a -s "-screen 0 3000x1900x24" \
        .venv/bin/python scripts/screenshots.py --suffix=-200

It generates a small folder of synthetic landscape "photos" with near-duplicates
(resized, re-encoded, brightened, an identical copy, a HEIC export, a corrupt
file), scans it with the installed model or, when none is installed, a stand-in
pixel encoder, and saves docs/screenshot-{scan,review,apply}.png; then, at
1200x720 and 1600x1000, the start screen, a review with the keeper's reason,
the selection assistant, the right-click menu and a group with a photo from a
reference folder: docs/workflow-{start,keeper,assistant,menu,reference}-WxH.png.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def scene(seed: int, size=(1500, 1000), shift: int = 0) -> Image.Image:
    """A procedural landscape: sky gradient, sun, three mountain ridges, a lake."""
    rng = np.random.default_rng(seed)
    w, h = size
    top, horizon = rng.uniform([15, 50, 110], [70, 120, 200]), rng.uniform([200, 140, 100], [255, 215, 170])
    y = np.linspace(0, 1, h)[:, None, None]
    img = np.broadcast_to(top * (1 - y) + horizon * y, (h, w, 3)).copy()
    yy, xx = np.mgrid[0:h, 0:w]
    sx, sy, r = rng.uniform(0.2, 0.8) * w + shift, rng.uniform(0.2, 0.4) * h, h * 0.07
    sun = np.clip(1.4 - np.hypot(xx - sx, yy - sy) / r, 0, 1)[..., None]
    img = img * (1 - sun) + np.array([255, 240, 200]) * sun
    water, base = int(h * rng.uniform(0.68, 0.86)), rng.uniform(0.25, 0.5)
    for layer in range(3):
        pad = 60  # fixed, so a shifted "burst" frame draws the same random ridges
        steps = rng.normal(0, 1, w + 2 * pad).cumsum()
        steps = np.convolve(steps, np.ones(31) / 31, mode="same")[pad + shift:pad + shift + w]
        steps = (steps - steps.mean()) / (np.abs(steps - steps.mean()).max() + 1e-9)
        ridge = h * (base + 0.12 * layer) + steps * h * 0.10 / (layer + 1)
        colour = rng.uniform([20, 45, 50], [70, 110, 120]) * (1 - 0.25 * layer)
        haze = 0.45 - 0.15 * layer
        mask = (yy > ridge[None, :]) & (yy < water)
        img[mask] = colour * (1 - haze) + horizon * haze
    mirror = img[2 * water - h:water][::-1] * 0.75 + np.array([10, 30, 50]) * 0.25
    img[water:] = mirror[: h - water]
    img += rng.normal(0, 4, img.shape)
    return Image.fromarray(img.clip(0, 255).astype(np.uint8)).filter(ImageFilter.SMOOTH)


def exif_date(when: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = when
    return exif.tobytes()


def demo_folder(root: Path) -> Path:
    """About 30 photos in a few folders, with four kinds of duplicates and one broken file."""
    lake, ridge, dusk = scene(7), scene(11), scene(23)
    lake.save(root / "2023" / "IMG_0412.jpg", quality=92, exif=exif_date("2023:07:14 19:02:31"))
    lake.resize((1200, 800)).point(lambda v: min(255, int(v * 1.08))).save(
        root / "2023" / "IMG_0412 (edited).jpg", quality=88)
    lake.resize((750, 500)).save(root / "Exports" / "lake_small.jpg", quality=72)
    ridge.save(root / "2023" / "IMG_0519.jpg", quality=92, exif=exif_date("2023:08:02 07:45:10"))
    scene(11, shift=6).save(root / "2023" / "IMG_0520.jpg", quality=92,
                            exif=exif_date("2023:08:02 07:45:11"))
    dusk.save(root / "2022" / "DSC_1180.jpg", quality=90, exif=exif_date("2022:10:30 18:11:52"))
    shutil.copy(root / "2022" / "DSC_1180.jpg", root / "Phone backup" / "DSC_1180.jpg")
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        dusk.resize((1200, 800)).save(root / "Exports" / "DSC_1180.heic", quality=80)
    except Exception:  # HEIC encoding is optional here
        pass
    for k in range(22):
        folder = ("2022", "2023", "Trips")[k % 3]
        scene(100 + k, size=(1200 + 60 * (k % 4), 800)).save(root / folder / f"IMG_{k + 600:04d}.jpg",
                                                            quality=88)
    (root / "2023" / "IMG_0666.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 200)
    return root


class PixelStandIn:
    """A stand-in encoder (no trained model installed): the photo at 16x16, centred."""

    dim = 768
    model_id = "stand-in-pixels-16"
    meta = {"default_threshold": 0.97}

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def embed(self, paths, keep=None):  # (it keeps nothing for the matcher)
        from duplicalt.photos.decode import UnreadableImage, load_photo
        from duplicalt.scan.types import EmbedOutcome

        for start in range(0, len(paths), 2):
            batch = []
            for i in range(start, min(start + 2, len(paths))):
                try:
                    img, info = load_photo(paths[i], target=64)
                    arr = np.asarray(img.resize((16, 16), Image.BILINEAR), np.float32).ravel()
                    arr -= arr.mean()
                    batch.append(EmbedOutcome(i, arr / (np.linalg.norm(arr) + 1e-9), info))
                except UnreadableImage as exc:
                    batch.append(EmbedOutcome(i, error=str(exc)))
            time.sleep(self.delay)
            yield batch


def make_embedder(slow: float):
    try:
        from duplicalt.ml.model.embed import load

        return load(None, device="cpu", batch_size=8)
    except Exception:  # ModelError: nothing in models/ yet
        return PixelStandIn(slow)


def wait(app, condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def grab(app, window, target: Path) -> None:
    g = window.frameGeometry()
    app.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(str(target))
    print("wrote", target)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--suffix", default="")
    args = ap.parse_args()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from duplicalt.gui.app import make_app
    from duplicalt.gui.window import RESULTS, MainWindow
    from duplicalt.gui.settings import Settings

    work = Path(tempfile.gettempdir()) / "duplicalt-demo"  # a short path for the pictures
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("2022", "2023", "Exports", "Phone backup", "Trips"):
        (work / "Pictures" / sub).mkdir(parents=True)
    folder = demo_folder(work / "Pictures")
    app = make_app(["duplicalt"])
    embedder = make_embedder(slow=0.25)
    window = MainWindow(Settings(QSettings(str(work / "s.ini"), QSettings.IniFormat)),
                        embedder_factory=lambda: embedder, cache_path=work / "cache.sqlite",
                        data_dir=work / "data")  # marks and pairs: not the user's own
    window.move(0, 0)
    window.resize(1440, 900)
    window.show()
    settle(app)
    args.out.mkdir(exist_ok=True)
    shot = lambda name: grab(app, window, args.out / f"screenshot-{name}{args.suffix}.png")

    window.start_scan(folder)
    page = window.scan_page
    wait(app, lambda: page.detail.text().startswith("Comparing") and
         page.bar.value() >= page.bar.maximum() * 0.45)
    settle(app, 0.3)
    shot("scan")
    if isinstance(embedder, PixelStandIn):
        embedder.delay = 0.0
    wait(app, lambda: window.stack.currentIndex() == RESULTS)
    lake = next(k for k, g in enumerate(window.groups, 1) if len(g.members) == 3)
    window.table.select_gid(lake)
    window.remove_current()
    window.review.step(1)
    window.remove_current()
    window.review.swap()
    window.keep_current()
    window.review.swap()
    wait(app, lambda: all(c.canvas.has_image() for c in window.review.cards))
    settle(app, 1.0)
    shot("review")

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(100, answer)
            return
        settle(app, 0.5)
        shot("apply")
        box.reject()

    window.keep_suggested_all()
    QTimer.singleShot(300, answer)
    window.apply()
    window.ask_before_quit = False
    window.close()
    for size in ((1200, 720), (1600, 1000)):
        workflow_shots(app, work, folder, embedder, size, args)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def reference_folder(work: Path) -> Path:
    """An archive folder holding the original of the lake photo."""
    archive = work / "Archive"
    archive.mkdir(exist_ok=True)
    scene(7).save(archive / "lake_original.jpg", quality=95,
                  exif=exif_date("2023:07:14 19:02:31"))
    return archive


def show_group_of(app, window, name: str) -> None:
    """After the scan: select the group holding the photo ``name``, wait for its pictures."""
    from duplicalt.gui.window import RESULTS

    wait(app, lambda: window.job is None and window.stack.currentIndex() == RESULTS)
    gid = next(k for k, g in enumerate(window.groups, 1)
               if any(m.entry.path.name == name for m in g.members))
    window.table.select_gid(gid)
    wait(app, lambda: all(c.canvas.has_image() for c in window.review.cards))
    settle(app, 0.8)


def workflow_shots(app, work: Path, folder: Path, embedder, size, args) -> None:
    from PySide6.QtCore import QPoint, QSettings

    from duplicalt.gui.window import MainWindow
    from duplicalt.gui.settings import Settings

    w, h = size
    tag = f"{w}x{h}"
    shot = lambda window, name: grab(app, window, args.out / f"workflow-{name}-{tag}.png")
    store = Settings(QSettings(str(work / f"s-{tag}.ini"), QSettings.IniFormat))
    store.folders = [folder]
    window = MainWindow(store, embedder_factory=lambda: embedder, cache_path=work / "cache.sqlite",
                        data_dir=work / f"data-{tag}")
    window.ask_before_quit = False
    window.move(0, 0)
    window.resize(w, h)
    window.show()
    settle(app)
    shot(window, "start")
    window.start_scan(folder)
    show_group_of(app, window, "IMG_0412 (edited).jpg")
    shot(window, "keeper")
    dlg = window.selection_assistant()
    dlg.set_rule("suggested")
    settle(app, 0.6)
    shot(window, "assistant")
    dlg.reject()
    card = window.review.cards[0]
    window.photo_menu(window.review.left, card.canvas.mapToGlobal(
        QPoint(card.canvas.width() // 3, card.canvas.height() // 4)))
    settle(app, 0.6)
    shot(window, "menu")
    window._menu.close()
    window.start_scan(folder, (), [reference_folder(work)])
    show_group_of(app, window, "lake_original.jpg")
    shot(window, "reference")
    window.close()


if __name__ == "__main__":
    sys.exit(main())
