"""Inter-process locks for the backup folder and the scanned folder (portalocker:
flock on POSIX, LockFileEx/msvcrt on Windows).

The lock file is opened by this module, never through a symlink and never
truncated: a link or a non-file planted at the lock path is refused, so a
lock cannot be used to write through to another file.
"""
from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import portalocker

from duplicalt.fileactions.safeio import O_BINARY, O_NOFOLLOW, Refused, show


class Busy(Exception):
    """Another process holds the lock."""


def open_plain(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that never follows a symlink and refuses anything but a regular file."""
    try:
        fd = os.open(path, flags | O_NOFOLLOW | O_BINARY, mode)
    except OSError as exc:
        if os.path.islink(path):
            raise Refused(f"{show(path)} is a symlink; refusing to open it") from None
        raise exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Refused(f"{show(path)} is not a regular file")
    return fd


class FileLock:
    """An exclusive, non-blocking lock on ``path`` (created when missing, never truncated).

    Raises Busy when another process holds it, Refused for a link at the path,
    OSError when it cannot be created (e.g. a read-only folder).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: io.FileIO | None = None

    def acquire(self) -> FileLock:
        fd = open_plain(self.path, os.O_RDWR | os.O_CREAT)
        handle = io.FileIO(fd, "r+", closefd=True)
        try:
            portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.AlreadyLocked:
            handle.close()
            raise Busy(show(self.path)) from None
        except portalocker.LockException as exc:
            handle.close()
            raise OSError(0, f"cannot lock {show(self.path)}: {exc}") from None
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            try:
                portalocker.unlock(self._file)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ["Busy", "FileLock", "open_plain"]
