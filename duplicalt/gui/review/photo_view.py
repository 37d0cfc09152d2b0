"""A photo fitted to its box, zoomable (wheel, double-click) and pannable (drag).

The view state is (zoom relative to "fit", centre in image fractions), so two
canvases showing photos of different resolutions stay on the same part of the
picture when synchronised.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from duplicalt.gui import theme

MAX_ZOOM = 32.0


class PhotoCanvas(QWidget):
    viewChanged = Signal(float, float, float)  # zoom, centre x, centre y

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(120, 60)
        self.setCursor(Qt.OpenHandCursor)
        self._pixmap: QPixmap | None = None
        self._text = ""
        self._full_width = 0  # the photo's real width, for "100 %"
        self.zoom, self.cx, self.cy = 1.0, 0.5, 0.5
        self._drag: QPointF | None = None

    # -- content -----------------------------------------------------------------
    def set_image(self, image: QImage | None, full_width: int = 0) -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self._full_width = full_width or (image.width() if image is not None else 0)
        self._text = ""
        self.update()

    def set_message(self, text: str) -> None:
        self._pixmap, self._text = None, text
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    # -- view state --------------------------------------------------------------
    def set_view(self, zoom: float, cx: float, cy: float, emit: bool = False) -> None:
        self.zoom = min(max(zoom, 1.0), MAX_ZOOM)
        half = 0.5 / self.zoom  # keep the visible window inside the photo
        self.cx = min(max(cx, half), 1 - half) if self.zoom > 1 else 0.5
        self.cy = min(max(cy, half), 1 - half) if self.zoom > 1 else 0.5
        self.update()
        if emit:
            self.viewChanged.emit(self.zoom, self.cx, self.cy)

    def reset_view(self) -> None:
        self.set_view(1.0, 0.5, 0.5, emit=True)

    def magnified(self) -> bool:
        """True when one pixel of the shown image covers more than one screen pixel."""
        if self._pixmap is None:
            return False
        return self._fit_scale() * self.zoom * self.devicePixelRatioF() > 1.01

    def _fit_scale(self) -> float:
        pm = self._pixmap
        if pm is None or pm.width() == 0 or pm.height() == 0:
            return 1.0
        ratio = pm.devicePixelRatio()
        return min(self.width() / (pm.width() / ratio), self.height() / (pm.height() / ratio))

    def _target(self) -> QRectF:
        pm = self._pixmap
        ratio = pm.devicePixelRatio()
        w, h = pm.width() / ratio, pm.height() / ratio
        s = self._fit_scale() * self.zoom
        return QRectF(self.width() / 2 - self.cx * w * s, self.height() / 2 - self.cy * h * s,
                      w * s, h * s)

    # -- painting ----------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        if self._pixmap is None:
            p.setPen(QColor(theme.MUTED))
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self._text or "Loading…")
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        p.drawPixmap(self._target(), self._pixmap, QRectF(self._pixmap.rect()))

    # -- interaction -------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        if self._pixmap is None:
            return
        steps = event.angleDelta().y() / 120.0
        self.zoom_at(event.position(), 1.25 ** steps)

    def zoom_at(self, pos: QPointF, factor: float) -> None:
        """Zoom by ``factor`` keeping the image point under ``pos`` in place."""
        before = self._target()
        fx = (pos.x() - before.x()) / before.width()
        fy = (pos.y() - before.y()) / before.height()
        new_zoom = min(max(self.zoom * factor, 1.0), MAX_ZOOM)
        s = self._fit_scale() * new_zoom
        ratio = self._pixmap.devicePixelRatio()
        w, h = self._pixmap.width() / ratio * s, self._pixmap.height() / ratio * s
        cx = fx - (pos.x() - self.width() / 2) / w
        cy = fy - (pos.y() - self.height() / 2) / h
        self.set_view(new_zoom, cx, cy, emit=True)

    def mouseDoubleClickEvent(self, event) -> None:
        """Toggle between "fit" and the photo's real pixels (100 %)."""
        if self._pixmap is None:
            return
        if self.zoom > 1.0:
            self.reset_view()
            return
        ratio = self._pixmap.devicePixelRatio()
        shown = self._fit_scale() * self._pixmap.width() / ratio * self.devicePixelRatioF()
        factor = max(self._full_width / max(shown, 1.0), 2.0)
        self.zoom_at(event.position(), factor)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.zoom > 1.0:
            self._drag = event.position()
            self.setCursor(Qt.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is None or self._pixmap is None:
            return
        delta = event.position() - self._drag
        self._drag = event.position()
        t = self._target()
        self.set_view(self.zoom, self.cx - delta.x() / t.width(), self.cy - delta.y() / t.height(),
                      emit=True)

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        self.setCursor(Qt.OpenHandCursor)


def link(a: PhotoCanvas, b: PhotoCanvas) -> None:
    """Synchronise zoom and pan between two canvases (both ways)."""
    a.viewChanged.connect(lambda z, x, y: b.set_view(z, x, y))
    b.viewChanged.connect(lambda z, x, y: a.set_view(z, x, y))
