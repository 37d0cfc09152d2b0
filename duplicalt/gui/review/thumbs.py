"""Thumbnails and previews decoded off the GUI thread (EXIF orientation applied,
HEIC through the core's decoder). Newest requests are served first, so the photo
the user is looking at wins over a list scrolled past a moment ago.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from duplicalt.photos.decode import UnreadableImage, load_photo
from duplicalt.gui.scan.tasks import TaskRunner, lower_priority

Key = tuple[str, int]  # (path, longest side in pixels)


def to_qimage(img: Image.Image) -> QImage:
    """A deep-copied RGB888 QImage (QImage, unlike QPixmap, is fine off the GUI thread)."""
    img = img.convert("RGB")
    data = img.tobytes()
    q = QImage(data, img.width, img.height, 3 * img.width, QImage.Format_RGB888)
    return q.copy()


def decode(path: Path, size: int) -> QImage:
    img, _ = load_photo(path, target=size)
    if max(img.size) > size:
        img.thumbnail((size, size), Image.LANCZOS if size <= 512 else Image.BILINEAR)
    return to_qimage(img)


class ImageLoader(QObject):
    """``request(path, size)`` returns a cached QImage or None and schedules the decode;
    ``loaded(path, size)`` / ``failed(path, size, reason)`` follow on the GUI thread."""

    loaded = Signal(str, int)
    failed = Signal(str, int, str)

    def __init__(self, runner: TaskRunner, threads: int = 2, budget_mb: int = 400,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.budget = budget_mb << 20
        self._bytes = 0
        self._cache: OrderedDict[Key, QImage] = OrderedDict()
        self._errors: dict[Key, str] = {}
        self._queue: list[tuple[Key, Path]] = []
        self._queued: set[Key] = set()
        self._cond = threading.Condition()
        self._stop = False
        self._workers = [threading.Thread(target=self._loop, name=f"duplicalt-thumbs-{i}",
                                          daemon=True) for i in range(threads)]
        for w in self._workers:
            w.start()

    def request(self, path: Path, size: int) -> QImage | None:
        key = (str(path), int(size))
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
            return image
        if key in self._errors:
            return None
        with self._cond:
            if key in self._queued:  # asked again: move it to the front, if still waiting
                waiting = [q for q in self._queue if q[0] == key]
                if not waiting:
                    return None  # being decoded right now
                self._queue.remove(waiting[0])
            self._queued.add(key)
            self._queue.append((key, Path(path)))
            self._cond.notify()
        return None

    def error(self, path: Path, size: int) -> str | None:
        return self._errors.get((str(path), int(size)))

    def forget(self, paths) -> None:
        """Drop cached images of these paths (moved or restored files)."""
        names = {str(p) for p in paths}
        for key in [k for k in self._cache if k[0] in names]:
            self._bytes -= self._cache.pop(key).sizeInBytes()
        for key in [k for k in self._errors if k[0] in names]:
            del self._errors[key]

    def _loop(self) -> None:
        lower_priority(5)  # decoding must not take the CPU from the GUI thread
        while True:
            with self._cond:
                while not self._queue and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                key, path = self._queue.pop()  # newest first
            try:
                image, reason = decode(path, key[1]), None
            except UnreadableImage as exc:
                image, reason = None, str(exc)
            except Exception as exc:  # noqa: BLE001 - shown, never fatal
                image, reason = None, f"{exc.__class__.__name__}: {exc}"
            self.runner.run_on_main(lambda k=key, i=image, r=reason: self._deliver(k, i, r))

    def _deliver(self, key: Key, image: QImage | None, reason: str | None) -> None:
        self._queued.discard(key)
        if image is None:
            self._errors[key] = reason or "cannot be shown"
            self.failed.emit(key[0], key[1], self._errors[key])
            return
        self._cache[key] = image
        self._bytes += image.sizeInBytes()
        while self._bytes > self.budget and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._bytes -= old.sizeInBytes()
        self.loaded.emit(key[0], key[1])

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._queue.clear()
            self._cond.notify_all()
