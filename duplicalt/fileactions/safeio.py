"""Low-level, crash-safe file operations for the backup mover and restore.

Every operation here either leaves the source untouched or completes with the
target durable and verified before the source is removed: a crash at any
instant leaves a file at its source, at its target, or at both, never neither.
Nothing is ever overwritten and no symlink is ever followed.
"""
from __future__ import annotations

import errno
import hashlib
import os
import signal
import stat
from pathlib import Path

CHUNK = 1 << 20
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_BINARY = getattr(os, "O_BINARY", 0)
# errnos meaning "hardlinks are not possible here": fall back to copy + verify
NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOSYS,
           getattr(errno, "ENOTSUP", errno.EPERM), getattr(errno, "EOPNOTSUPP", errno.EPERM)}

_FAULT_AT = int(os.environ.get("DUPLICALT_FAULT_AT", "0") or 0)  # fault-injection tests only
_fault_hits = 0


class Refused(Exception):
    """A file that must not be touched; the message is the user-facing reason."""


class Changed(Exception):
    """The source changed while it was being moved; it is left in place."""


def fault_point() -> None:
    """SIGKILL this process at the N-th point when DUPLICALT_FAULT_AT=N (tests)."""
    global _fault_hits
    if _FAULT_AT:
        _fault_hits += 1
        if _fault_hits == _FAULT_AT:
            os.kill(os.getpid(), signal.SIGKILL)


def show(path: Path | str) -> str:
    """A printable form of a path, also for names that are not valid UTF-8."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def describe(exc: OSError) -> str:
    """A short user-facing reason for an OS error."""
    reasons = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system",
               errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
               errno.ENAMETOOLONG: "file name or path too long",
               errno.EDQUOT: "disk quota exceeded", errno.EIO: "input/output error"}
    return reasons.get(exc.errno, exc.strerror or str(exc))


def sha256_file(path: Path) -> str:
    """sha256 of a regular file, opened without following a symlink."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
    try:
        while chunk := os.read(fd, CHUNK):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a directory's entries durable (no-op where directories cannot be synced)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows: directories cannot be opened
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def lstat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def is_file(path: Path) -> bool:
    """A regular file (not a symlink) exists at path."""
    st = lstat_or_none(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def check_no_links(base: Path, path: Path, what: str) -> None:
    """Refuse ``path`` unless it is inside ``base`` with no symlink on the way.

    Missing components are fine (they will be created); ``base`` itself is
    trusted (chosen by the user). Raises Refused with the reason.
    """
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
    except ValueError:
        raise Refused(f"outside the {what} ({show(base)})") from None
    if not rel.parts or ".." in rel.parts:
        raise Refused(f"not a file inside the {what}")
    cur = Path(os.path.abspath(base))
    for part in rel.parts[:-1]:
        cur = cur / part
        st = lstat_or_none(cur)
        if st is None:
            return
        if stat.S_ISLNK(st.st_mode):
            raise Refused(f"goes through a symlink ({show(cur)})")
        if not stat.S_ISDIR(st.st_mode):
            raise Refused(f"{show(cur)} is not a folder")


def makedirs_durable(path: Path) -> None:
    """mkdir -p that fsyncs each new directory's parent and never follows a symlink."""
    st = lstat_or_none(path)
    if st is not None:
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise Refused(f"{show(path)} is not a plain folder")
        return
    makedirs_durable(path.parent)
    try:
        os.mkdir(path)
    except FileExistsError:
        return makedirs_durable(path)
    fsync_dir(path.parent)


def hardlink(src: Path, dst: Path) -> None:
    """os.link that links a symlink itself rather than its target (where supported)."""
    if os.link in os.supports_follow_symlinks:
        os.link(src, dst, follow_symlinks=False)
    else:  # pragma: no cover - Windows: sources are checked not to be links before
        os.link(src, dst)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def copy_verified(src: Path, tmp: Path, sha: str) -> None:
    """Copy src to the new file tmp, fsync, and verify tmp's sha256 (and src's)."""
    h = hashlib.sha256()
    fin = os.open(src, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
    try:
        fout = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY, 0o644)
        try:
            while chunk := os.read(fin, CHUNK):
                h.update(chunk)
                write_all(fout, chunk)
                fault_point()
            os.fsync(fout)
        finally:
            os.close(fout)
    finally:
        os.close(fin)
    if h.hexdigest() != sha:
        raise Changed("changed while it was being copied")
    if sha256_file(tmp) != sha:
        raise OSError(errno.EIO, "the copy does not match the original (sha256)")
    try:
        st = os.stat(src)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError:
        pass  # timestamps are a courtesy, not part of the promise


def publish_copy(tmp: Path, dst: Path) -> None:
    """Give the verified copy tmp its final name dst without overwriting anything."""
    try:
        hardlink(tmp, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in NO_LINK:
            raise
        if os.path.lexists(dst):  # no hardlinks here (e.g. FAT): check, then rename
            raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
        os.rename(tmp, dst)
        return
    os.unlink(tmp)


def _try_link(src: Path, dst: Path) -> bool:
    try:
        hardlink(src, dst)
        return True
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno in NO_LINK:
            return False
        raise


def transfer(src: Path, dst: Path, tmp: Path, sha: str, sig: tuple[int, int],
             force_copy: bool = False, keep_source: bool = False) -> str:
    """Move src to dst (which must not exist); returns "link" or "copy".
    ``keep_source``: copy only (src on a read-only disk), src is left as it is.

    Same file system: hardlink then unlink (atomic, never overwrites). Otherwise
    copy to ``tmp`` next to dst, fsync, verify sha256, link tmp to dst. The
    source is removed only once dst is durable, and only if its (size, mtime_ns)
    still equals ``sig``; on any error, also when src cannot be removed, the
    target is removed again: a failed move never leaves a second copy.
    """
    fault_point()
    makedirs_durable(dst.parent)
    force_copy = force_copy or keep_source  # a kept source never shares its inode
    how = "link" if not force_copy and _try_link(src, dst) else "copy"
    ours = how == "link"  # dst is this process's to remove on failure
    fault_point()
    try:
        if how == "copy":
            _copy_in(src, dst, tmp, sha)
            ours = True
        fsync_dir(dst.parent)
        fault_point()
        st = os.lstat(src)
        if (st.st_size, st.st_mtime_ns) != sig:
            raise Changed("changed while it was being moved")
        if not keep_source:
            os.unlink(src)  # inside: a source that cannot be removed takes its copy back
    except BaseException:
        if ours:
            remove_quietly(dst)
        raise
    fault_point()
    fsync_dir(src.parent)
    return how


def _copy_in(src: Path, dst: Path, tmp: Path, sha: str) -> None:
    """Copy src to ``tmp``, verify it, then publish it as dst; ``tmp`` never stays."""
    try:
        copy_verified(src, tmp, sha)
        fault_point()
        publish_copy(tmp, dst)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def remove_quietly(path: Path) -> None:
    """Unlink a file this process created (ignoring that it is already gone)."""
    try:
        os.unlink(path)
        fsync_dir(path.parent)
    except FileNotFoundError:
        pass
