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

    @staticmethod
    def _threshold_key(verified: bool) -> str:
        # one remembered value per kind of scan: the verified and the embedding-only
        # scans are calibrated far apart (e.g. 0.55 and 0.85)
        return "scan/threshold-verified" if verified else "scan/threshold-embedding"

    def threshold(self, verified: bool = True, model_id: str = "") -> float | None:
        """The similarity the user last chose with the slider for this kind of scan
        and this model (None: the model's calibrated threshold)."""
        try:
            value = float(self._get(self._threshold_key(verified)))
        except (TypeError, ValueError):
            return None
        if model_id and self._get(self._threshold_key(verified) + "-model", model_id) != model_id:
            return None  # chosen for another model: its calibration does not carry over
        return value if 0.0 < value <= 1.0 else None

    def set_threshold(self, value: float, verified: bool = True, model_id: str = "") -> None:
        self.store.setValue(self._threshold_key(verified), round(float(value), 4))
        self.store.setValue(self._threshold_key(verified) + "-model", model_id)

    def remembered(self) -> dict[bool, tuple[float, str]]:
        """{verified: (slider value, the model it was chosen for)} as far as remembered."""
        out = {}
        for verified in (True, False):
            value = self.threshold(verified)
            if value is not None:
                out[verified] = (value, str(self._get(self._threshold_key(verified) + "-model",
                                                      "")))
        return out

    def _paths(self, key: str) -> list[Path]:
        value = self._get(key)
        if isinstance(value, str):
            value = [v for v in value.split("\n") if v]
        return [Path(v) for v in (value or []) if v]

    def _set_paths(self, key: str, paths) -> None:
        self.store.setValue(key, "\n".join(str(p) for p in paths))

    @property
    def folders(self) -> list[Path]:
        """The folders of the last scan (the first is ``folder``)."""
        return self._paths("scan/folders") or ([self.folder] if self.folder else [])

    @folders.setter
    def folders(self, value) -> None:
        self._set_paths("scan/folders", value)

    @property
    def references(self) -> list[Path]:
        return self._paths("scan/references")

    @references.setter
    def references(self, value) -> None:
        self._set_paths("scan/references", value)

    @property
    def excluded(self) -> list[Path]:
        return self._paths("scan/excluded")

    @excluded.setter
    def excluded(self, value) -> None:
        self._set_paths("scan/excluded", value)

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
