"""What the window remembers between runs (QSettings): size, last folder,
threshold, backup folder, where removed photos go, the model file."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

BACKUP, TRASH = "backup", "trash"  # where removed photos go


def default_backup(folder: Path) -> Path:
    """``<parent>/<name> duplicalt backup``: beside the scanned folder, never inside it."""
    folder = Path(folder)
    return folder.parent / f"{folder.name or 'photos'} duplicalt backup"


def is_inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


class Settings:
    """Typed access to a QSettings store (tests pass their own ini-file store)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings("DuplicAlt", "DuplicAlt")

    def _get(self, key: str, default=None):
        value = self.store.value(key, default)
        return default if value in (None, "") else value

    @property
    def geometry(self) -> QByteArray | None:
        value = self._get("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    @property
    def folder(self) -> Path | None:
        value = self._get("scan/folder")
        return Path(value) if value else None

    @folder.setter
    def folder(self, value: Path) -> None:
        self.store.setValue("scan/folder", str(value))

    def threshold(self) -> float | None:
        """The similarity the user last chose with the slider (None: the model's default)."""
        try:
            value = float(self._get("scan/threshold"))
        except (TypeError, ValueError):
            return None
        return value if 0.0 < value <= 1.0 else None

    def set_threshold(self, value: float) -> None:
        self.store.setValue("scan/threshold", round(float(value), 4))

    def backup_for(self, folder: Path) -> Path:
        """The backup folder chosen for ``folder`` before, else the default."""
        chosen = self._get("backup/folder")
        if chosen and self._get("backup/for") == str(folder):
            return Path(chosen)
        return default_backup(folder)

    def set_backup(self, folder: Path, backup: Path) -> None:
        self.store.setValue("backup/for", str(folder))
        self.store.setValue("backup/folder", str(backup))

    @property
    def removal(self) -> str:
        return TRASH if self._get("backup/removal") == TRASH else BACKUP

    @removal.setter
    def removal(self, value: str) -> None:
        self.store.setValue("backup/removal", TRASH if value == TRASH else BACKUP)

    @property
    def verify(self) -> bool:
        """Confirm close pairs by local-feature matching (the CLI's default)."""
        return str(self._get("scan/verify", "true")).lower() != "false"

    @verify.setter
    def verify(self, value: bool) -> None:
        self.store.setValue("scan/verify", "true" if value else "false")

    @property
    def model(self) -> str | None:
        return self._get("scan/model")

    @model.setter
    def model(self, value: str | None) -> None:
        self.store.setValue("scan/model", value or "")

    def sync(self) -> None:
        self.store.sync()
